//! `opentill-till`: the till in a desktop window. Everything is in the library.

// No console window next to the till on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    opentill_till_app::run()
}
