//! Reads `tauri.conf.json` (tauri-build) and checks that the UI build the window embeds
//! (`../ui/dist`, made by `scripts/build-ui.sh`) exists, with a message that says so.

fn main() {
    let index = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    if !index.is_file() {
        panic!("ui/dist/index.html is missing: the window embeds the built UI; run ./scripts/build-ui.sh first (界面尚未构建：请先运行 ./scripts/build-ui.sh)");
    }
    tauri_build::build();
}
