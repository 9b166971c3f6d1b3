//! Unicode-aware tokenisation into word or character n-grams, with the byte
//! span of every n-gram in the original text (the "try it" box highlights them).
//!
//! The rules follow scikit-learn's `TfidfVectorizer` so results can be compared
//! with it: text is lower-cased; a *word* is a maximal run of 2 or more word
//! characters (letters, digits, marks, `_`; scikit-learn's `(?u)\b\w\w+\b`);
//! word n-grams join words with one space. *Character* n-grams run over the text
//! with every run of 2+ whitespace characters collapsed to one space. U+FEFF
//! (a stray byte-order mark inside a field) is dropped in both modes.
//!
//! One addition to scikit-learn's word rule, for stores whose reviews mix
//! languages: a Han or kana character (no spaces between words) is a word on its own,
//! so a Chinese sentence inside English-tokenised data yields character
//! features instead of one feature per whole sentence. Text without CJK
//! characters is tokenised exactly as scikit-learn does.

use serde::{Deserialize, Serialize};

/// Which n-grams become features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "lowercase")]
pub enum Ngrams {
    /// Word n-grams from `min` to `max` words (space-separated languages).
    Word { min: usize, max: usize },
    /// Character n-grams (Chinese, Japanese: no spaces between words).
    Char { min: usize, max: usize },
}

impl Ngrams {
    pub const WORD_1_2: Ngrams = Ngrams::Word { min: 1, max: 2 };
    pub const CHAR_1_2: Ngrams = Ngrams::Char { min: 1, max: 2 };

    pub fn range(&self) -> (usize, usize) {
        match *self {
            Ngrams::Word { min, max } | Ngrams::Char { min, max } => (min, max),
        }
    }

    pub fn is_char(&self) -> bool {
        matches!(self, Ngrams::Char { .. })
    }

    /// Parse `word:1-2` / `char:1-2` (the CLI's `--ngrams`).
    pub fn parse(text: &str) -> Result<Ngrams, String> {
        let bad =
            || format!("'{text}' is not an n-gram setting; expected auto, word:1-2 or char:1-2");
        let (unit, range) = text.split_once(':').ok_or_else(bad)?;
        let (min, max) = range.split_once('-').unwrap_or((range, range));
        let min: usize = min.trim().parse().map_err(|_| bad())?;
        let max: usize = max.trim().parse().map_err(|_| bad())?;
        match unit.trim() {
            "word" => Ok(Ngrams::Word { min, max }),
            "char" => Ok(Ngrams::Char { min, max }),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Ngrams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Ngrams::Word { min, max } => write!(f, "word:{min}-{max}"),
            Ngrams::Char { min, max } => write!(f, "char:{min}-{max}"),
        }
    }
}

/// Han, kana, Hangul and CJK punctuation: scripts written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F     // CJK symbols and punctuation
        | 0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // compatibility ideographs
        | 0xFF00..=0xFFEF   // full-width forms
        | 0x20000..=0x2FA1F)
}

/// Character n-grams when at least 30% of the letters in a sample of the texts
/// are CJK, word n-grams otherwise.
pub fn detect_ngrams<'a>(texts: impl IntoIterator<Item = &'a str>) -> Ngrams {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for text in texts.into_iter().take(2_000) {
        for c in text.chars().take(500) {
            if c.is_alphanumeric() {
                letters += 1;
                cjk += usize::from(is_cjk(c));
            }
        }
    }
    if letters > 0 && cjk * 10 >= letters * 3 {
        Ngrams::CHAR_1_2
    } else {
        Ngrams::WORD_1_2
    }
}

/// Han ideographs and kana: scripts that never put spaces between words
/// (Hangul does, so Korean keeps whole words).
fn is_unspaced_letter(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
        && c.is_alphanumeric()
}

/// `c` lower-cased onto `out`. ASCII, Han ideographs and CJK punctuation
/// (which have no case) skip the Unicode case tables, which a Chinese
/// review would otherwise search once per character.
fn push_lowercase(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF) {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One unit of text (a word, or a character) with its byte span in the input.
#[derive(Clone, Debug, PartialEq)]
struct Unit {
    text_start: usize,
    text_end: usize,
    start: usize,
    end: usize,
}

/// Reusable tokeniser: calls `emit(ngram, first_unit, last_unit)` for every
/// n-gram of a text, where units are the words (or characters) the n-gram spans;
/// [`Tokenizer::unit_span`] gives their byte ranges in the text afterwards. Buffers are kept between texts so tokenising allocates
/// almost nothing.
#[derive(Default)]
pub struct Tokenizer {
    lowered: String,
    units: Vec<Unit>,
    ngram: String,
}

impl Tokenizer {
    pub fn for_each_ngram(
        &mut self,
        text: &str,
        ngrams: Ngrams,
        mut emit: impl FnMut(&str, usize, usize),
    ) {
        self.lowered.clear();
        self.units.clear();
        match ngrams {
            Ngrams::Word { .. } => self.split_words(text),
            Ngrams::Char { .. } => self.split_chars(text),
        }
        let (min, max) = ngrams.range();
        let joiner = if ngrams.is_char() { "" } else { " " };
        let units = &self.units;
        for first in 0..units.len() {
            for n in min.max(1)..=max {
                let last = first + n - 1;
                if last >= units.len() {
                    break;
                }
                self.ngram.clear();
                for (i, unit) in units[first..=last].iter().enumerate() {
                    if i > 0 {
                        self.ngram.push_str(joiner);
                    }
                    self.ngram
                        .push_str(&self.lowered[unit.text_start..unit.text_end]);
                }
                emit(&self.ngram, first, last);
            }
        }
    }

    /// Byte range in the last tokenised text of unit `i`.
    pub fn unit_span(&self, i: usize) -> (usize, usize) {
        (self.units[i].start, self.units[i].end)
    }

    /// All n-grams of `text` as owned strings (tests and small inputs).
    pub fn ngrams(&mut self, text: &str, ngrams: Ngrams) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_ngram(text, ngrams, |g, _, _| out.push(g.to_owned()));
        out
    }

    fn split_words(&mut self, text: &str) {
        let mut run: Option<(usize, usize)> = None; // (byte start, chars)
        let close = |run: &mut Option<(usize, usize)>, end: usize, this: &mut Self| {
            if let Some((start, chars)) = run.take() {
                if chars >= 2 {
                    let text_start = this.lowered.len();
                    for c in text[start..end].chars() {
                        push_lowercase(&mut this.lowered, c);
                    }
                    this.units.push(Unit {
                        text_start,
                        text_end: this.lowered.len(),
                        start,
                        end,
                    });
                }
            }
        };
        for (i, c) in text.char_indices() {
            if is_unspaced_letter(c) {
                close(&mut run, i, self);
                let text_start = self.lowered.len();
                self.lowered.push(c);
                self.units.push(Unit {
                    text_start,
                    text_end: self.lowered.len(),
                    start: i,
                    end: i + c.len_utf8(),
                });
            } else if is_word_char(c) {
                match &mut run {
                    Some((_, chars)) => *chars += 1,
                    None => run = Some((i, 1)),
                }
            } else {
                close(&mut run, i, self);
            }
        }
        close(&mut run, text.len(), self);
    }

    fn split_chars(&mut self, text: &str) {
        let mut chars = text
            .char_indices()
            .filter(|&(_, c)| c != '\u{feff}')
            .peekable();
        while let Some((i, c)) = chars.next() {
            let text_start = self.lowered.len();
            let mut end = i + c.len_utf8();
            if c.is_whitespace() {
                // A run of 2+ whitespace characters becomes one space.
                let mut run = 1;
                while let Some(&(j, d)) = chars.peek() {
                    if !d.is_whitespace() {
                        break;
                    }
                    end = j + d.len_utf8();
                    run += 1;
                    chars.next();
                }
                if run > 1 {
                    self.lowered.push(' ');
                } else {
                    self.lowered.push(c);
                }
            } else {
                push_lowercase(&mut self.lowered, c);
            }
            self.units.push(Unit {
                text_start,
                text_end: self.lowered.len(),
                start: i,
                end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_case_shortcut_agrees_with_unicode_for_every_character() {
        let (mut fast, mut full) = (String::new(), String::new());
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            fast.clear();
            full.clear();
            push_lowercase(&mut fast, c);
            full.extend(c.to_lowercase());
            assert_eq!(fast, full, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn words_are_runs_of_two_or_more_word_characters_lowercased() {
        let mut t = Tokenizer::default();
        assert_eq!(
            t.ngrams(
                "A great, GREAT phone!! I'd buy_it again 10/10",
                Ngrams::Word { min: 1, max: 1 }
            ),
            vec!["great", "great", "phone", "buy_it", "again", "10", "10"]
        );
    }

    #[test]
    fn cjk_characters_are_words_of_their_own_in_word_mode() {
        let mut t = Tokenizer::default();
        assert_eq!(
            t.ngrams("Great 很好！ok", Ngrams::Word { min: 1, max: 1 }),
            vec!["great", "很", "好", "ok"]
        );
    }

    #[test]
    fn word_bigrams_join_neighbouring_words_with_a_space() {
        let mut t = Tokenizer::default();
        assert_eq!(
            t.ngrams("Not good at all", Ngrams::WORD_1_2),
            vec!["not", "not good", "good", "good at", "at", "at all", "all"]
        );
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let mut t = Tokenizer::default();
        let text = "Très BON café";
        let mut found = Vec::new();
        t.for_each_ngram(text, Ngrams::WORD_1_2, |g, first, last| {
            found.push((g.to_owned(), first, last))
        });
        let spans: Vec<(String, String)> = found
            .into_iter()
            .map(|(g, first, last)| {
                (
                    g,
                    text[t.unit_span(first).0..t.unit_span(last).1].to_owned(),
                )
            })
            .collect();
        assert_eq!(spans[0], ("très".into(), "Très".into()));
        assert_eq!(spans[1], ("très bon".into(), "Très BON".into()));
        assert_eq!(spans[4], ("café".into(), "café".into()));
    }

    #[test]
    fn char_ngrams_collapse_whitespace_runs_and_drop_bom() {
        let mut t = Tokenizer::default();
        assert_eq!(
            t.ngrams("\u{feff}很好  吃", Ngrams::CHAR_1_2),
            vec!["很", "很好", "好", "好 ", " ", " 吃", "吃"]
        );
        let text = "好A";
        let mut spans = Vec::new();
        t.for_each_ngram(text, Ngrams::CHAR_1_2, |g, first, last| {
            spans.push((g.to_owned(), first, last))
        });
        assert_eq!(spans[1], ("好a".to_owned(), 0, 1));
        assert_eq!((t.unit_span(0), t.unit_span(1)), ((0, 3), (3, 4)));
    }

    #[test]
    fn chinese_is_detected_and_english_is_not() {
        assert_eq!(
            detect_ngrams(["这个手机很好用", "not bad"]),
            Ngrams::CHAR_1_2
        );
        assert_eq!(detect_ngrams(["great phone", "很好"]), Ngrams::WORD_1_2);
        assert_eq!(detect_ngrams(["日本語のレビューです"]), Ngrams::CHAR_1_2);
    }

    #[test]
    fn ngram_settings_parse_and_print() {
        assert_eq!(Ngrams::parse("char:1-2"), Ok(Ngrams::CHAR_1_2));
        assert_eq!(
            Ngrams::parse("word:1-3"),
            Ok(Ngrams::Word { min: 1, max: 3 })
        );
        assert!(Ngrams::parse("letters").is_err());
        assert_eq!(Ngrams::WORD_1_2.to_string(), "word:1-2");
    }
}
