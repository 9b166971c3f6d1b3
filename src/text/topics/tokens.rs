//! How a review becomes the words a topic model counts.
//!
//! - **Chinese** (the reviews are mostly Han characters, as the sentiment
//!   classifier decides): words from jieba's dictionary segmenter (the
//!   `jieba-rs` crate, the dictionary of Python jieba 0.42.1, HMM on for
//!   unknown words, as `jieba.lcut` does). Only words of at least two
//!   characters are kept: single characters (的, 了, 很) carry little topic.
//! - **Other languages**: the sentiment classifier's words (lower-cased runs
//!   of 2+ letters, digits or `_`, scikit-learn's `(?u)\b\w\w+\b`).
//!
//! A review with Han characters among mostly other-language reviews (a
//! store selling in two languages) is still segmented by jieba: its
//! characters are never counted one by one. In both, tokens made only of
//! digits are dropped, and so are the stop words: the built-in Chinese and
//! English lists plus the words the user adds.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use super::stopwords::{CHINESE, ENGLISH};
use crate::text::tfidf::clip;
use crate::text::tokenize::{detect_ngrams, Ngrams, Tokenizer};

/// Reviews longer than this are cut before tokenising (one pasted novel must
/// not dominate time or memory).
pub const MAX_CHARS: usize = 20_000;

/// Which segmenter a corpus uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// jieba words of 2+ characters.
    Chinese,
    /// Space-separated words.
    Words,
}

impl Language {
    /// Chinese when the texts are mostly CJK (the classifier's own test).
    pub fn detect<'a>(texts: impl IntoIterator<Item = &'a str>) -> Language {
        if detect_ngrams(texts).is_char() {
            Language::Chinese
        } else {
            Language::Words
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Language::Chinese => "Chinese (jieba words, 2+ characters)",
            Language::Words => "words",
        }
    }
}

/// jieba with its default dictionary, loaded once per process (≈0.3 s).
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// A token and its byte span in the review.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub word: String,
    pub start: usize,
    pub end: usize,
}

/// Splits reviews into the tokens topics are made of.
pub struct DocTokenizer {
    pub language: Language,
    stop: HashSet<String>,
}

fn is_number(word: &str) -> bool {
    word.chars().all(|c| c.is_numeric())
}

/// A CJK unified ideograph (the basic block and extension A).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

fn has_word_char(word: &str) -> bool {
    word.chars().any(|c| c.is_alphanumeric())
}

impl DocTokenizer {
    /// A tokenizer for `language` with the built-in stop words and `extra`
    /// ones (any case; split on commas, spaces or new lines by the caller).
    pub fn new(language: Language, extra: &[String]) -> DocTokenizer {
        // Both lists whatever the language: Latin words occur inside Chinese
        // reviews, and Chinese reviews among English ones.
        let mut stop: HashSet<String> = CHINESE
            .iter()
            .chain(ENGLISH)
            .map(|w| (*w).to_owned())
            .collect();
        stop.extend(extra.iter().map(|w| w.trim().to_lowercase()));
        DocTokenizer { language, stop }
    }

    fn keep(&self, word: &str) -> bool {
        !is_number(word) && has_word_char(word) && !self.stop.contains(word)
    }

    /// The tokens of `text` with their spans (the window highlights them).
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let text = clip(text, MAX_CHARS);
        let mut out = Vec::new();
        let segment = self.language == Language::Chinese || text.chars().any(is_han);
        if segment {
            for t in jieba().cut(text, true) {
                if t.end - t.start < 2 {
                    continue;
                }
                let word = t.word.trim().to_lowercase();
                if word.chars().count() >= 2 && self.keep(&word) {
                    out.push(Token {
                        word,
                        start: t.byte_start,
                        end: t.byte_end,
                    });
                }
            }
        } else {
            let mut tokenizer = Tokenizer::default();
            let mut words = Vec::new();
            tokenizer.for_each_ngram(text, Ngrams::Word { min: 1, max: 1 }, |g, first, _| {
                words.push((g.to_owned(), first))
            });
            for (word, unit) in words {
                if self.keep(&word) {
                    let (start, end) = tokenizer.unit_span(unit);
                    out.push(Token { word, start, end });
                }
            }
        }
        out
    }

    /// The words of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.tokens(text).into_iter().map(|t| t.word).collect()
    }
}

/// Stop words the user typed: split on commas, spaces, "、" or new lines.
pub fn parse_stop_words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '、' || c == '，' || c.is_whitespace())
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_reviews_become_dictionary_words_of_two_or_more_characters() {
        let t = DocTokenizer::new(Language::Chinese, &[]);
        let words = t.words("物流太慢了，包装也破了，客服态度很差！");
        assert!(words.contains(&"物流".to_owned()), "{words:?}");
        assert!(words.contains(&"包装".to_owned()), "{words:?}");
        assert!(words.contains(&"客服".to_owned()), "{words:?}");
        assert!(words.iter().all(|w| w.chars().count() >= 2), "{words:?}");
        // Spans point at the words in the text.
        let text = "房间很吵，设施陈旧";
        for tok in t.tokens(text) {
            assert_eq!(&text[tok.start..tok.end], tok.word);
        }
    }

    #[test]
    fn stop_words_numbers_and_punctuation_are_dropped_and_user_words_added() {
        let t = DocTokenizer::new(Language::Words, &["phone".into()]);
        assert_eq!(
            t.words("The phone broke after 10 days, and the battery is weak!!"),
            vec!["broke", "days", "battery", "weak"]
        );
        let zh = DocTokenizer::new(Language::Chinese, &parse_stop_words("酒店, 房间"));
        let words = zh.words("酒店的房间太小了，早餐一般");
        assert!(!words.contains(&"酒店".to_owned()) && !words.contains(&"房间".to_owned()));
        assert!(words.contains(&"早餐".to_owned()), "{words:?}");
    }

    #[test]
    fn chinese_reviews_among_english_ones_are_still_segmented() {
        let t = DocTokenizer::new(Language::Words, &[]);
        let words = t.words("质量太差了，根本不能用");
        assert!(words.iter().all(|w| w.chars().count() >= 2), "{words:?}");
        assert!(words.contains(&"质量".to_owned()), "{words:?}");
        assert_eq!(t.words("Great quality"), vec!["great", "quality"]);
    }

    #[test]
    fn language_follows_the_script_of_the_reviews() {
        assert_eq!(Language::detect(["质量很好，物流很快"]), Language::Chinese);
        assert_eq!(
            Language::detect(["Great quality, fast shipping"]),
            Language::Words
        );
    }
}
