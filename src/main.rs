//! No arguments: the GUI on the built-in sample store. A subcommand: the CLI.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if std::env::args_os().len() <= 1 {
        std::process::exit(shoplens::ui::run_gui(None));
    }
    let cli = shoplens::cli::Cli::parse();
    if let shoplens::cli::Command::Gui { path } = cli.command {
        std::process::exit(shoplens::ui::run_gui(path));
    }
    std::process::exit(shoplens::cli::run(cli));
}
