//! The counter's 2D scanner in keyboard-wedge mode types a pre-input code as digit keys and
//! Enter. The window sees every key before the focused element does (a `FocusScope` around
//! everything, `ui/app.slint`) and hands it here: digits are held back, so none reaches the
//! PIN pad or a clerk's text field; digits ended by Enter are a scan; anything else (another
//! key, a pause, Enter after a few digits) gives the held digits back to the focused element
//! in order, as if typed. Sans-IO: the glue (`super`) dispatches, times and sends the event.

use zeroize::Zeroizing;

use crate::vocab::person::SecretString;
use crate::vocab::preinput_code::MAX_DIGITS;

/// Fewer digits before Enter are someone typing, not a scan (a madoguchi code has at least
/// 22 digits; a short foreign code such as a 13-digit JAN still reaches the session and is
/// answered "not a madoguchi code").
pub const MIN_SCAN: usize = 8;

/// What to do with one key.
#[derive(PartialEq, Eq)]
pub enum Key {
    /// Held (a digit of a possible scan): the focused element does not get it now.
    Held,
    /// The digits before this Enter: a scan. The Enter is swallowed too.
    Scan(SecretString),
    /// A line of letters or symbols ended by Enter where no text field takes keys: another
    /// system's code (a URL's QR code). Its text is not kept; the Enter is swallowed.
    Foreign,
    /// Pass this key on, after giving these held digits back (empty: none).
    Pass(Zeroizing<String>),
}

impl std::fmt::Debug for Key {
    // The digits are (part of) a resident's code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Held => f.write_str("Held"),
            Key::Scan(_) => f.write_str("Scan(<redacted>)"),
            Key::Foreign => f.write_str("Foreign"),
            Key::Pass(d) => write!(f, "Pass({} digits back)", d.len()),
        }
    }
}

/// Digits typed since the last Enter or other key.
#[derive(Default)]
pub struct ScanBuffer {
    held: Zeroizing<String>,
    /// More digits came than a code may have: kept as one digit over the limit (the decoder
    /// then says "too large") instead of growing without bound.
    over: bool,
    /// Letters and symbols since the last Enter, counted while no text field takes keys.
    foreign: usize,
}

impl std::fmt::Debug for ScanBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScanBuffer({} digits held)", self.held.len())
    }
}

impl ScanBuffer {
    /// One key pressed, as Slint's `KeyEvent.text`; `typing`: a text field may take keys now.
    pub fn key(&mut self, text: &str, typing: bool) -> Key {
        let mut chars = text.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            self.foreign = 0;
            return Key::Pass(self.release());
        };
        match c {
            '0'..='9' => {
                if self.held.len() <= MAX_DIGITS {
                    self.held.push(c);
                } else {
                    self.over = true;
                }
                Key::Held
            }
            '\n' | '\r' => {
                let foreign = std::mem::take(&mut self.foreign);
                if foreign > 0 && foreign + self.held.len() >= MIN_SCAN {
                    drop(self.release());
                    Key::Foreign
                } else if self.held.len() >= MIN_SCAN {
                    self.over = false;
                    Key::Scan(SecretString::new(std::mem::take(&mut *self.held)))
                } else {
                    Key::Pass(self.release())
                }
            }
            // Shift, Control, Alt, AltGr, CapsLock, the right-hand ones, Meta: not a break in
            // a scan (some scanners send them around digits).
            '\u{10}'..='\u{18}' => Key::Pass(Zeroizing::new(String::new())),
            // Printable: part of a foreign code when nothing takes text.
            c if !typing && !c.is_control() && !('\u{F700}'..='\u{F8FF}').contains(&c) => {
                self.foreign += 1;
                Key::Pass(self.release())
            }
            _ => {
                self.foreign = 0;
                Key::Pass(self.release())
            }
        }
    }

    /// No key for a while: what is held was typed by a person, give it back.
    pub fn release(&mut self) -> Zeroizing<String> {
        self.over = false;
        Zeroizing::new(std::mem::take(&mut *self.held))
    }

    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(b: &mut ScanBuffer, s: &str) -> Vec<Key> {
        s.chars().map(|c| b.key(&c.to_string(), false)).collect()
    }

    #[test]
    fn digits_then_enter_are_one_scan_and_nothing_passes() {
        let mut b = ScanBuffer::default();
        let keys = feed(&mut b, "1234567890123456789012\n");
        assert!(keys[..22].iter().all(|k| *k == Key::Held));
        match &keys[22] {
            Key::Scan(code) => assert_eq!(code.expose(), "1234567890123456789012"),
            other => panic!("{other:?}"),
        }
        assert!(!b.holding());
    }

    #[test]
    fn a_person_typing_gets_every_key_back_in_order() {
        let mut b = ScanBuffer::default();
        assert_eq!(feed(&mut b, "12"), vec![Key::Held, Key::Held]);
        assert_eq!(b.key("丁", true), Key::Pass(Zeroizing::new("12".into())), "held digits, then this key");
        assert_eq!(feed(&mut b, "3"), vec![Key::Held]);
        assert_eq!(b.key("\n", true), Key::Pass(Zeroizing::new("3".into())), "Enter after a few digits is not a scan");
        assert_eq!(feed(&mut b, "45"), vec![Key::Held, Key::Held]);
        assert_eq!(b.release().as_str(), "45", "a pause gives them back");
        assert_eq!(b.key("a", true), Key::Pass(Zeroizing::new(String::new())));
        // A clerk's long line of text ended by Enter is typing, not a foreign code.
        for c in "東京都千代田区1-2-3".chars() {
            b.key(&c.to_string(), true);
        }
        assert!(matches!(b.key("\n", true), Key::Pass(_)));
    }

    #[test]
    fn modifier_keys_do_not_break_a_scan_and_multi_char_keys_do() {
        let mut b = ScanBuffer::default();
        feed(&mut b, "1234");
        assert_eq!(b.key("\u{10}", false), Key::Pass(Zeroizing::new(String::new())));
        feed(&mut b, "5678");
        assert!(matches!(b.key("\r", false), Key::Scan(c) if c.expose() == "12345678"));
        feed(&mut b, "12");
        assert_eq!(b.key("ab", false), Key::Pass(Zeroizing::new("12".into())));
    }

    #[test]
    fn a_url_from_a_foreign_qr_code_is_named_and_its_text_not_kept() {
        let mut b = ScanBuffer::default();
        let keys = feed(&mut b, "https://example.jp/pay?id=1234\n");
        assert_eq!(keys.last(), Some(&Key::Foreign));
        assert!(!b.holding());
        // Next scan starts clean.
        assert!(matches!(feed(&mut b, "12345678\n").last(), Some(Key::Scan(c)) if c.expose() == "12345678"));
        // A short word and Enter (a bumped keyboard) is nothing.
        assert!(matches!(feed(&mut b, "ok\n").last(), Some(Key::Pass(_))));
    }

    #[test]
    fn an_endless_stream_is_capped_just_over_the_limit() {
        let mut b = ScanBuffer::default();
        for _ in 0..(MAX_DIGITS + 500) {
            b.key("7", false);
        }
        match b.key("\n", false) {
            Key::Scan(code) => assert_eq!(code.expose().len(), MAX_DIGITS + 1),
            other => panic!("{other:?}"),
        }
    }
}
