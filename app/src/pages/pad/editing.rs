//! Plain functions behind the editor: positions between the browser's UTF-16 offsets and the
//! character offsets operations use, and the Tab key.

/// The character offset of UTF-16 offset `utf16` in `text`.
pub fn char_index(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.chars().count()
}

/// The UTF-16 offset of character offset `index` in `text`.
pub fn utf16_index(text: &str, index: usize) -> u32 {
    text.chars().take(index).map(|c| c.len_utf16() as u32).sum()
}

pub const INDENT: &str = "    ";

/// Tab pressed with characters `start..end` selected: the new text and caret.
pub fn insert_indent(text: &str, start: usize, end: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = (start.min(chars.len()), end.min(chars.len()).max(start));
    let mut out: String = chars[..start].iter().collect();
    out.push_str(INDENT);
    out.extend(&chars[end..]);
    (out, start + INDENT.chars().count())
}

/// "1\n2\n…" for the gutter.
pub fn line_numbers(text: &str) -> String {
    let lines = text.split('\n').count();
    (1..=lines)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_convert_both_ways_around_wide_characters() {
        let text = "a😀b";
        assert_eq!(utf16_index(text, 2), 3);
        assert_eq!(char_index(text, 3), 2);
        assert_eq!(char_index(text, 99), 3);
        assert_eq!(utf16_index(text, 0), 0);
    }

    #[test]
    fn tab_replaces_the_selection_with_an_indent() {
        assert_eq!(insert_indent("ab", 1, 1), ("a    b".to_string(), 5));
        assert_eq!(insert_indent("abc", 0, 2), ("    c".to_string(), 4));
        assert_eq!(line_numbers("x\ny\n"), "1\n2\n3");
    }
}
