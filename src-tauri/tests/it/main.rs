//! `opentill-till` as a process: what it does before a window opens (so no display is
//! needed). The window itself is tested under Xvfb by `ui/e2e/window.mjs`, on the binary
//! this test target makes cargo build.

use std::process::Command;

fn till() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opentill-till"));
    command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").env_remove("OPENTILL_LOG");
    command
}

#[test]
fn a_directory_that_is_not_a_store_is_refused_in_both_languages() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    for (lang, text) in [("en", "is not an OpenTill store"), ("zh-CN", "不是 OpenTill 门店数据目录")] {
        let out = till().arg("--data").arg(tmp.path()).args(["--lang", lang]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("[not_a_store]") && stderr.contains(text), "{stderr}");
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "nothing was written");
}

#[test]
fn the_options_are_documented_and_checked() {
    let out = till().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for option in ["--data <DIR>", "--kiosk", "--lang <zh-CN|en>", "收银台窗口"] {
        assert!(help.contains(option), "{option} in\n{help}");
    }
    let out = till().args(["--lang", "fr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zh-CN"));
}
