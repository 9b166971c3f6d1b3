//! No arguments: the GUI on the built-in sample store. A subcommand: the CLI.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if std::env::args_os().len() <= 1 {
        std::process::exit(gui(None));
    }
    let cli = shoplens::cli::Cli::parse();
    if let shoplens::cli::Command::Gui { path } = cli.command {
        std::process::exit(gui(path));
    }
    std::process::exit(shoplens::cli::run(cli));
}

#[cfg(feature = "gui")]
fn gui(path: Option<std::path::PathBuf>) -> i32 {
    shoplens::ui::run_gui(path)
}

#[cfg(not(feature = "gui"))]
fn gui(_path: Option<std::path::PathBuf>) -> i32 {
    eprintln!("error: this shoplens was built without the GUI (cargo feature `gui`); use a subcommand, see shoplens --help");
    2
}
