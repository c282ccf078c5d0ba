//! Japanese formatting rules: address parts, full/half-width digits, character classes.
//! Pure functions, no I/O. 和暦 is [`crate::vocab::calendar`].

use super::model::CharClass;

/// Address split into 都道府県 / 市区町村 / 町域・番地以降.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressParts {
    pub prefecture: String,
    pub city: String,
    pub town: String,
}

const PREFS_SPECIAL: &[&str] = &["北海道", "東京都", "大阪府", "京都府"];

/// Split an address. Prefecture: 北海道/東京都/大阪府/京都府 or up to the first 県 (at most
/// 4 characters). City: 〇〇郡〇〇町/村, 〇〇市 (+ 〇〇区 of a designated city), 〇〇区 (Tokyo
/// wards), or 〇〇町/村. Anything not recognised stays in `town` so nothing is lost.
pub fn split_address(addr: &str) -> AddressParts {
    let addr = addr.trim();
    let mut parts = AddressParts::default();
    let mut rest = addr;
    if let Some(p) = PREFS_SPECIAL.iter().find(|p| addr.starts_with(*p)) {
        parts.prefecture = (*p).to_string();
        rest = &addr[p.len()..];
    } else if let Some((i, _)) = addr.char_indices().take(4).find(|(_, c)| *c == '県') {
        parts.prefecture = addr[..i + '県'.len_utf8()].to_string();
        rest = &addr[i + '県'.len_utf8()..];
    }
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let end_after = |idx: usize| chars.get(idx + 1).map(|(o, _)| *o).unwrap_or(rest.len());
    let find_from = |from: usize, set: &[char], limit: usize| {
        chars.iter().enumerate().skip(from).take(limit).find(|(_, (_, c))| set.contains(c)).map(|(i, _)| i)
    };
    let mut city_end: Option<usize> = None;
    if let Some(g) = find_from(1, &['郡'], 6) {
        city_end = find_from(g + 2, &['町', '村'], 6);
    }
    if city_end.is_none()
        && let Some(mut s) = find_from(1, &['市'], 6)
    {
        if chars.get(s + 1).map(|c| c.1) == Some('市') {
            s += 1; // 四日市市, 廿日市市
        }
        // 政令指定都市の区: 札幌市中央区
        city_end = Some(find_from(s + 2, &['区'], 4).unwrap_or(s));
    }
    if city_end.is_none() {
        city_end = find_from(1, &['区', '町', '村'], 6);
    }
    if let Some(e) = city_end {
        let cut = end_after(e);
        parts.city = rest[..cut].to_string();
        parts.town = rest[cut..].trim_start().to_string();
    } else {
        parts.town = rest.to_string();
    }
    parts
}

/// ASCII digits → 全角.
pub fn full_width_digits(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c) } else { c })
        .collect()
}

/// 全角 digits → ASCII.
pub fn half_width_digits(s: &str) -> String {
    s.chars()
        .map(|c| if ('０'..='９').contains(&c) { char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap_or(c) } else { c })
        .collect()
}

/// Character class of `c`, if any.
pub fn class_of(c: char) -> Option<CharClass> {
    let u = c as u32;
    Some(match c {
        '0'..='9' | '０'..='９' => CharClass::Digit,
        'A'..='Z' | 'a'..='z' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => CharClass::Latin,
        ' ' | '　' => CharClass::Space,
        'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => CharClass::Hiragana,
        'ァ'..='ヺ' | 'ー' | 'ヽ' | 'ヾ' | 'ｦ'..='ﾟ' => CharClass::Katakana,
        '々' | '〆' | '〇' => CharClass::Kanji,
        _ if (0x4E00..=0x9FFF).contains(&u)
            || (0x3400..=0x4DBF).contains(&u)
            || (0xF900..=0xFAFF).contains(&u)
            || (0x20000..=0x3134F).contains(&u) =>
        {
            CharClass::Kanji
        }
        _ if c.is_ascii_punctuation() || "・、。「」（）－‐―〒＃＆／．，：；".contains(c) => {
            CharClass::Symbol
        }
        _ => return None,
    })
}

/// The first character of `s` outside `allowed` (empty = anything printable).
pub fn first_disallowed(s: &str, allowed: &[CharClass]) -> Option<char> {
    s.chars().find(|&c| {
        if c.is_control() {
            return true;
        }
        if allowed.is_empty() {
            return false;
        }
        class_of(c).is_none_or(|k| !allowed.contains(&k))
    })
}
