//! The command line.

use std::path::PathBuf;

use clap::Parser;
use opentill_core::i18n::Lang;

/// OpenTill's till in a window.
#[derive(Debug, Parser)]
#[command(name = "opentill-till", version, about = "OpenTill: the till in a window (收银台窗口)")]
pub struct Options {
    /// The till's data directory, its own replica (数据目录). A new or empty directory becomes
    /// the demo store. Default: opentill/till under the user's data directory
    /// (~/.local/share/opentill/till on Linux).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Fullscreen without window decorations, for a till's touchscreen (全屏，无边框).
    #[arg(long)]
    pub kiosk: bool,
    /// The language at start: zh-CN or en (启动语言); the cashier can switch at any time.
    #[arg(long, value_name = "zh-CN|en", value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

impl Options {
    /// `--data`, else the default under the user's data directory (none if the system has none).
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data.clone().or_else(|| dirs::data_dir().map(|d| d.join("opentill").join("till")))
    }
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("`{text}`: use zh-CN or en (请用 zh-CN 或 en)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        let o = Options::try_parse_from(["opentill-till", "--data", "/tmp/t", "--kiosk", "--lang", "en"]).unwrap();
        assert_eq!((o.data_dir(), o.kiosk, o.lang), (Some(PathBuf::from("/tmp/t")), true, Some(Lang::En)));
        let o = Options::try_parse_from(["opentill-till", "--lang", "zh-CN"]).unwrap();
        assert_eq!((o.kiosk, o.lang), (false, Some(Lang::Zh)));
        assert!(o.data_dir().is_none_or(|d| d.ends_with("opentill/till")));
        assert!(Options::try_parse_from(["opentill-till", "--lang", "fr"]).is_err());
    }
}
