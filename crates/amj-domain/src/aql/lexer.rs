//! Splits a query into tokens, on demand.
//!
//! The lexer is pulled by the parser one token at a time rather than run up front, because one
//! construct is not made of tokens at all: the raw JQL inside `connectedTickets(…)`, which the
//! parser takes as text with [`Lexer::raw_until_close_paren`].

use super::error::{ErrorKind, ParseError};

/// A token's kind and payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: letters, digits, `_` and `-`, not a number.
    Word(String),
    /// A double-quoted string, unescaped.
    Str(String),
    /// A number literal as written: `42`, `-3`, `2.50`.
    Number(String),
    LParen,
    RParen,
    Comma,
    Dot,
    Eq,
    EqEq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Tilde,
    Plus,
    Eof,
}

/// A token and the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Whether `c` may appear in a bare word.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// A cursor over the source. Cloning it is cheap, which is how the parser looks two tokens ahead.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Self { src, pos: 0 }
    }

    fn error(&self, kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, self.src, offset)
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
    }

    /// The next token; [`Tok::Eof`] (repeatedly) at the end.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let next = self.src[start + c.len_utf8()..].chars().next();
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '.' => (Tok::Dot, 1),
            '~' => (Tok::Tilde, 1),
            '+' => (Tok::Plus, 1),
            '=' if next == Some('=') => (Tok::EqEq, 2),
            '=' => (Tok::Eq, 1),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '"' => return self.string(),
            c if is_word_char(c) => return Ok(self.word_or_number()),
            c => return Err(self.error(ErrorKind::UnexpectedChar(c), start)),
        };
        self.pos += len;
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// A quoted string; `\` escapes the next character, whatever it is.
    fn string(&mut self) -> Result<Token, ParseError> {
        let start = self.pos;
        let mut value = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    return Ok(Token {
                        tok: Tok::Str(value),
                        start,
                        end: self.pos,
                    });
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err(self.error(ErrorKind::UnclosedQuote, start))
    }

    /// A number if the word is one (`-7`, `2.5`), else a bare word (`-7d`, `2021-01-01`).
    fn word_or_number(&mut self) -> Token {
        let start = self.pos;
        let rest = &self.src[start..];
        let number_len = number_prefix_len(rest);
        if number_len > 0 && !rest[number_len..].starts_with(is_word_char) {
            self.pos += number_len;
            return Token {
                tok: Tok::Number(rest[..number_len].to_owned()),
                start,
                end: self.pos,
            };
        }
        let len = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
        self.pos += len;
        Token {
            tok: Tok::Word(rest[..len].to_owned()),
            start,
            end: self.pos,
        }
    }

    /// The text up to the `)` that closes an already consumed `(`, skipping parentheses inside
    /// nested pairs and inside `"…"` or `'…'` strings; the lexer then stands after that `)`.
    /// Returns the text, untrimmed.
    pub fn raw_until_close_paren(&mut self, open: usize) -> Result<&'a str, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in self.src[start..].char_indices() {
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                '"' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' if depth == 0 => {
                    self.pos = start + i + 1;
                    return Ok(&self.src[start..start + i]);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        Err(self.error(ErrorKind::UnclosedParen, open))
    }
}

/// The length of the longest prefix of the form `-?[0-9]+(\.[0-9]+)?`, or 0.
fn number_prefix_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_start {
        return 0;
    }
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    i
}
