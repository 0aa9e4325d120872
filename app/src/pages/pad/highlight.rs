//! A small syntax highlighter for the pad's languages: comments, strings, numbers and
//! keywords. Deliberately lexical (no parsing): it only colours, so a mistake costs nothing.
//! Our own rather than `syntect` or tree-sitter: either would add megabytes to a console whose
//! wasm budget is 400 KB.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Keyword,
    Str,
    Comment,
    Number,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Plain => "",
            Kind::Keyword => "tok-keyword",
            Kind::Str => "tok-string",
            Kind::Comment => "tok-comment",
            Kind::Number => "tok-number",
        }
    }
}

struct Rules {
    line_comment: &'static [&'static str],
    block_comment: bool,
    quotes: &'static [char],
    case_insensitive: bool,
    keywords: &'static [&'static str],
}

const C_LIKE: &[&str] = &[
    "break", "case", "const", "continue", "default", "do", "else", "enum", "for", "if", "return",
    "sizeof", "static", "struct", "switch", "typedef", "void", "while", "int", "char", "long",
    "double", "float", "unsigned", "bool", "true", "false", "NULL", "include", "define",
];
const CPP: &[&str] = &[
    "auto",
    "break",
    "case",
    "class",
    "const",
    "continue",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "for",
    "if",
    "namespace",
    "new",
    "nullptr",
    "private",
    "public",
    "protected",
    "return",
    "static",
    "struct",
    "switch",
    "template",
    "this",
    "typename",
    "using",
    "virtual",
    "void",
    "while",
    "int",
    "char",
    "long",
    "double",
    "float",
    "bool",
    "true",
    "false",
    "std",
    "include",
];
const JS: &[&str] = &[
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "default",
    "delete",
    "else",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "null",
    "of",
    "return",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "var",
    "void",
    "while",
    "yield",
    "interface",
    "type",
    "enum",
    "implements",
    "private",
    "public",
    "readonly",
    "number",
    "string",
    "boolean",
    "any",
];
const JAVA: &[&str] = &[
    "abstract",
    "boolean",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extends",
    "false",
    "final",
    "finally",
    "float",
    "for",
    "if",
    "implements",
    "import",
    "instanceof",
    "int",
    "interface",
    "long",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "throws",
    "true",
    "try",
    "void",
    "while",
    "var",
    "String",
];
const CSHARP: &[&str] = &[
    "abstract",
    "async",
    "await",
    "bool",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "false",
    "finally",
    "float",
    "for",
    "foreach",
    "if",
    "in",
    "int",
    "interface",
    "internal",
    "namespace",
    "new",
    "null",
    "out",
    "override",
    "private",
    "protected",
    "public",
    "readonly",
    "return",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "using",
    "var",
    "void",
    "while",
];
const GO: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
    "nil",
    "true",
    "false",
    "int",
    "string",
    "bool",
    "error",
];
const RUST: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "else", "enum", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "use", "where",
    "while", "Some", "None", "Ok", "Err", "String", "Vec", "Option", "Result",
];
const KOTLIN: &[&str] = &[
    "as",
    "break",
    "class",
    "continue",
    "do",
    "else",
    "false",
    "for",
    "fun",
    "if",
    "in",
    "interface",
    "is",
    "null",
    "object",
    "package",
    "return",
    "super",
    "this",
    "throw",
    "true",
    "try",
    "typealias",
    "val",
    "var",
    "when",
    "while",
    "import",
    "private",
    "public",
    "data",
    "override",
    "companion",
];
const PYTHON: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "None", "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while",
    "with", "yield", "self", "print",
];
const RUBY: &[&str] = &[
    "alias", "and", "begin", "break", "case", "class", "def", "defined?", "do", "else", "elsif",
    "end", "ensure", "false", "for", "if", "in", "module", "next", "nil", "not", "or", "redo",
    "rescue", "retry", "return", "self", "super", "then", "true", "unless", "until", "when",
    "while", "yield", "puts", "require",
];
const SQL: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "insert",
    "into",
    "values",
    "update",
    "set",
    "delete",
    "create",
    "table",
    "index",
    "drop",
    "alter",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "on",
    "group",
    "by",
    "order",
    "having",
    "limit",
    "offset",
    "as",
    "distinct",
    "null",
    "is",
    "in",
    "like",
    "between",
    "case",
    "when",
    "then",
    "else",
    "end",
    "union",
    "all",
    "primary",
    "key",
    "foreign",
    "references",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "with",
    "exists",
    "asc",
    "desc",
];

fn rules(language: &str) -> Rules {
    let c_like = |keywords| Rules {
        line_comment: &["//"],
        block_comment: true,
        quotes: &['"', '\''],
        case_insensitive: false,
        keywords,
    };
    match language {
        "python" => Rules {
            line_comment: &["#"],
            block_comment: false,
            quotes: &['"', '\''],
            case_insensitive: false,
            keywords: PYTHON,
        },
        "ruby" => Rules {
            line_comment: &["#"],
            block_comment: false,
            quotes: &['"', '\''],
            case_insensitive: false,
            keywords: RUBY,
        },
        "sql" => Rules {
            line_comment: &["--"],
            block_comment: true,
            quotes: &['\'', '"'],
            case_insensitive: true,
            keywords: SQL,
        },
        "javascript" | "typescript" => Rules {
            quotes: &['"', '\'', '`'],
            ..c_like(JS)
        },
        "go" => Rules {
            quotes: &['"', '\'', '`'],
            ..c_like(GO)
        },
        "java" => c_like(JAVA),
        "csharp" => c_like(CSHARP),
        "cpp" => c_like(CPP),
        "rust" => c_like(RUST),
        "kotlin" => c_like(KOTLIN),
        _ => c_like(C_LIKE),
    }
}

/// Splits `text` into coloured pieces; joined, they are `text` again.
pub fn tokens<'a>(language: &str, text: &'a str) -> Vec<(Kind, &'a str)> {
    let rules = rules(language);
    let mut out: Vec<(Kind, &'a str)> = Vec::new();
    let mut push = |kind: Kind, piece: &'a str| {
        if piece.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, run)) if *last == kind && kind == Kind::Plain => {
                // Adjacent plain pieces are contiguous slices of `text`: widen the run.
                let start = run.as_ptr() as usize - text.as_ptr() as usize;
                *run = &text[start..start + run.len() + piece.len()];
            }
            _ => out.push((kind, piece)),
        }
    };
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rules.line_comment.iter().any(|p| rest.starts_with(*p)) {
            let end = rest.find('\n').unwrap_or(rest.len());
            push(Kind::Comment, &rest[..end]);
            i += end;
            continue;
        }
        if rules.block_comment && rest.starts_with("/*") {
            let end = rest[2..].find("*/").map(|e| e + 4).unwrap_or(rest.len());
            push(Kind::Comment, &rest[..end]);
            i += end;
            continue;
        }
        let c = rest.chars().next().expect("not empty");
        if rules.quotes.contains(&c) {
            let end = string_end(rest, c);
            push(Kind::Str, &rest[..end]);
            i += end;
            continue;
        }
        if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            push(Kind::Number, &rest[..end]);
            i += end;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '?'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let is_keyword = if rules.case_insensitive {
                rules.keywords.iter().any(|k| k.eq_ignore_ascii_case(word))
            } else {
                rules.keywords.contains(&word)
            };
            push(
                if is_keyword {
                    Kind::Keyword
                } else {
                    Kind::Plain
                },
                word,
            );
            i += end;
            continue;
        }
        let len = c.len_utf8();
        push(Kind::Plain, &text[i..i + len]);
        i += len;
    }
    out
}

/// Where a string opened by `quote` at the start of `rest` ends (after its closing quote, or
/// at the end of the line when unterminated; backtick strings may span lines).
fn string_end(rest: &str, quote: char) -> usize {
    let mut escaped = false;
    for (index, ch) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '\n' if quote != '`' => return index,
            ch if ch == quote => return index + ch.len_utf8(),
            _ => {}
        }
    }
    rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(language: &str, text: &str) -> Vec<(Kind, String)> {
        tokens(language, text)
            .into_iter()
            .filter(|(k, _)| *k != Kind::Plain)
            .map(|(k, s)| (k, s.to_string()))
            .collect()
    }

    #[test]
    fn pieces_join_back_into_the_text() {
        let text = "def f(x):\n    return \"a\\\"b\" + 42 # done\n/* ü */ `x`";
        for (language, _) in api::LANGUAGES {
            let joined: String = tokens(language, text).into_iter().map(|(_, s)| s).collect();
            assert_eq!(joined, text, "{language}");
        }
    }

    #[test]
    fn keywords_strings_comments_and_numbers_by_language() {
        assert_eq!(
            kinds("python", "def f(): return 'x' # hi"),
            vec![
                (Kind::Keyword, "def".into()),
                (Kind::Keyword, "return".into()),
                (Kind::Str, "'x'".into()),
                (Kind::Comment, "# hi".into()),
            ]
        );
        assert_eq!(
            kinds("sql", "SELECT 1 -- one"),
            vec![
                (Kind::Keyword, "SELECT".into()),
                (Kind::Number, "1".into()),
                (Kind::Comment, "-- one".into()),
            ]
        );
        assert_eq!(
            kinds("rust", "let s = \"unterminated\nfn"),
            vec![
                (Kind::Keyword, "let".into()),
                (Kind::Str, "\"unterminated".into()),
                (Kind::Keyword, "fn".into()),
            ]
        );
    }
}
