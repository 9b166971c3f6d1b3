//! Research next-item sequence files, read with no flags: SASRec's `user item`
//! per line and S3-Rec's `user item item …` per line. Both are plain text,
//! integers separated by single spaces, in time order within a user and
//! without timestamps; they become one row per interaction, in that order, so
//! leave-last-out holds out each user's last item as the papers do.

use std::path::Path;

use polars::prelude::*;

use super::error::LoadError;
use super::formats::{self, KnownFormat};
use crate::task::CancelToken;

/// Lines looked at to recognise the layout.
const SAMPLE_LINES: usize = 200;

/// `sasrec-pairs` or `item-sequences` when the head of `text` has that shape.
pub fn detect(text: &[u8]) -> Option<&'static KnownFormat> {
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(trim_cr)
        .filter(|l| !l.is_empty())
        // The last sampled line may be cut short by the sample's end.
        .take(SAMPLE_LINES)
        .collect();
    if lines.len() < 2 {
        return None;
    }
    let mut users = Vec::with_capacity(lines.len());
    let mut all_pairs = true;
    for line in &lines {
        let tokens = integer_tokens(line)?;
        if tokens.len() < 2 {
            return None;
        }
        all_pairs &= tokens.len() == 2;
        users.push(tokens[0]);
    }
    if all_pairs && users.windows(2).all(|w| w[0] <= w[1]) {
        formats::by_name(PAIRS)
    } else if !all_pairs && users.windows(2).all(|w| w[0] != w[1]) {
        formats::by_name(LISTS)
    } else {
        None
    }
}

pub const PAIRS: &str = "sasrec-pairs";
pub const LISTS: &str = "item-sequences";

/// Whether `format` is one of the sequence layouts read here.
pub fn is_sequence_format(format: &KnownFormat) -> bool {
    format.name == PAIRS || format.name == LISTS
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line's space-separated tokens when every one is a non-negative integer.
fn integer_tokens(line: &[u8]) -> Option<Vec<u64>> {
    line.split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .map(|t| std::str::from_utf8(t).ok()?.parse::<u64>().ok())
        .collect()
}

/// One row per interaction: `user_id`, `item_id` and `step` (the item's
/// 0-based place in its user's sequence, which orders them in time).
pub fn read(path: &Path, text: &[u8], cancel: &CancelToken) -> Result<DataFrame, LoadError> {
    let mut users: Vec<u64> = Vec::new();
    let mut items: Vec<u64> = Vec::new();
    let mut steps: Vec<u32> = Vec::new();
    let mut step_of_last: Option<(u64, u32)> = None;
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        if i % 65_536 == 0 {
            cancel.check()?;
        }
        let line = trim_cr(raw);
        if line.is_empty() {
            continue;
        }
        let tokens = integer_tokens(line).ok_or_else(|| {
            LoadError::parse(
                path,
                format!(
                    "line {}: expected whole numbers separated by spaces (user, then items in time order), found {:?}",
                    i + 1,
                    String::from_utf8_lossy(&line[..line.len().min(60)])
                ),
            )
        })?;
        let Some((&user, line_items)) = tokens.split_first() else {
            continue;
        };
        if line_items.is_empty() {
            return Err(LoadError::parse(
                path,
                format!("line {}: user {user} has no item after it", i + 1),
            ));
        }
        // A user's lines continue one sequence (SASRec's pairs), so steps go on.
        let mut step = match step_of_last {
            Some((u, next)) if u == user => next,
            _ => 0,
        };
        for &item in line_items {
            users.push(user);
            items.push(item);
            steps.push(step);
            step += 1;
        }
        step_of_last = Some((user, step));
    }
    if users.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let as_text = |v: Vec<u64>| v.into_iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let height = users.len();
    DataFrame::new(
        height,
        vec![
            Column::new("user_id".into(), as_text(users)),
            Column::new("item_id".into(), as_text(items)),
            Column::new("step".into(), steps),
        ],
    )
    .map_err(|e| LoadError::parse(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &[u8]) -> Result<DataFrame, LoadError> {
        read(Path::new("x.txt"), text, &CancelToken::default())
    }

    fn name(text: &str) -> Option<&'static str> {
        detect(text.as_bytes()).map(|f| f.name)
    }

    #[test]
    fn recognises_both_layouts_and_nothing_else() {
        assert_eq!(name("1 6393\n1 13504\n2 5\n2 7\n"), Some(PAIRS));
        assert_eq!(name("1 1 2 3 4 5\n2 6 7 8\n3 4 12\n"), Some(LISTS));
        // One item per user reads the same either way.
        assert_eq!(name("1 5\n2 6\n3 7\n"), Some(PAIRS));
        // Users out of order are not SASRec's grouped pairs.
        assert_eq!(name("2 5\n1 6\n3 7\n"), None);
        // A repeated user in lists of different lengths is not S3-Rec's layout.
        assert_eq!(name("1 1 2 3\n1 4 5\n"), None);
        assert_eq!(name("user item\n1 2\n"), None);
        assert_eq!(name("1,2\n3,4\n"), None);
        assert_eq!(name("1 2\n"), None);
    }

    #[test]
    fn rows_keep_each_users_order_across_lines() {
        let df = read_text(b"1 10\n1 11\n2 12 13\r\n\n").unwrap();
        let text = |c: &str| -> Vec<String> {
            df.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(text("user_id"), ["1", "1", "2", "2"]);
        assert_eq!(text("item_id"), ["10", "11", "12", "13"]);
        let steps: Vec<u32> = df
            .column("step")
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(steps, [0, 1, 0, 1]);
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = read_text(b"1 10\n1 eleven\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("eleven"), "{e}");
        let e = read_text(b"1 10\n7\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("no item"), "{e}");
    }
}
