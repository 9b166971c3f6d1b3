//! No arguments: the GUI on the built-in sample store. A subcommand: the CLI.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if std::env::args_os().len() <= 1 {
        std::process::exit(gui(None));
    }
    let cli = shoplens::cli::Cli::parse();
    match cli.command {
        shoplens::cli::Command::Gui { path } => std::process::exit(gui(path)),
        shoplens::cli::Command::Demo(args) => std::process::exit(demo(args)),
        _ => {}
    }
    std::process::exit(shoplens::cli::run(cli));
}

#[cfg(feature = "gui")]
fn gui(path: Option<std::path::PathBuf>) -> i32 {
    shoplens::ui::run_gui(path)
}

#[cfg(feature = "gui")]
fn demo(args: shoplens::cli::DemoArgs) -> i32 {
    let (w, h) = match shoplens::demo::tour::parse_size(&args.size) {
        Ok(size) => size,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Some(dir) = &args.record {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("error: could not create {}: {e}", dir.display());
            return 1;
        }
    }
    let recording = args.record.is_some();
    let options = shoplens::ui::demo::DemoOptions {
        seconds_per_step: args.seconds,
        full_screen: !args.windowed && !recording,
        record: args.record,
        steps: args.steps,
        light: args.light,
    };
    let size = if recording {
        [w as f32, h as f32]
    } else {
        [1280.0, 820.0]
    };
    shoplens::ui::run_demo(options, size)
}

#[cfg(not(feature = "gui"))]
fn demo(_args: shoplens::cli::DemoArgs) -> i32 {
    gui(None)
}

#[cfg(not(feature = "gui"))]
fn gui(_path: Option<std::path::PathBuf>) -> i32 {
    eprintln!("error: this shoplens was built without the GUI (cargo feature `gui`); use a subcommand, see shoplens --help");
    2
}
