//! The `condition` of a detection: `and`, `or`, `not`, parentheses, and the quantifiers
//! `1 of x*`, `any of x*`, `all of x*` and `... of them`.
//!
//! Precedence is `not` > `and` > `or`. Quantifiers are expanded when the rule is compiled, so a
//! condition is a plain boolean tree over search indexes. Aggregations (`| count() ...`) and
//! `near` are rejected as unsupported; an identifier that names no search is invalid.

use super::error::Problem;

/// A compiled condition over search indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    /// The search with this index matched.
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    /// Evaluates with `search(i)` telling whether search `i` matched.
    pub(crate) fn eval(&self, search: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(c) => !c.eval(search),
            Cond::And(cs) => cs.iter().all(|c| c.eval(search)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(search)),
        }
    }
}

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

/// The most characters of a condition, or of a word in it, that an error quotes.
const ECHO_CHARS: usize = 60;

/// `text` quoted for an error, cut to [`ECHO_CHARS`] characters (saying how long it was), so
/// that a huge condition does not fill the terminal.
fn cut(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], text.len()),
    }
}

/// A word of a condition for an error: cut to [`ECHO_CHARS`] characters, marked with `…`.
fn short(word: &str) -> std::borrow::Cow<'_, str> {
    match word.char_indices().nth(ECHO_CHARS) {
        None => word.into(),
        Some((end, _)) => format!("{}…", &word[..end]).into(),
    }
}

/// Parses `text` against the search names (in detection order).
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, Problem> {
    let at = |p: Problem| p.context(&format!("condition {}", cut(text)));
    if let Some((_, aggregation)) = text.split_once('|') {
        return Err(Problem::Unsupported(format!(
            "an aggregation ('| {}')",
            short(aggregation.trim())
        )));
    }
    let tokens = tokenize(text);
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("near")))
    {
        return Err(Problem::Unsupported("the 'near' operator".to_owned()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        names,
    };
    let cond = parser.or(0).map_err(at)?;
    match parser.tokens.get(parser.pos) {
        None => Ok(cond),
        Some(t) => Err(at(Problem::Invalid(format!(
            "unexpected {} after a complete expression",
            show(t)
        )))),
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    tokens
}

fn show(t: &Token) -> String {
    match t {
        Token::Open => "'('".to_owned(),
        Token::Close => "')'".to_owned(),
        Token::Word(w) => format!("'{}'", short(w)),
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Cond, Problem> {
        let mut items = vec![self.and(depth)?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, Problem> {
        let mut items = vec![self.not(depth)?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.not(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, Problem> {
        if depth > MAX_DEPTH {
            return Err(Problem::Invalid(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, Problem> {
        let invalid = |msg: String| Err(Problem::Invalid(msg));
        let Some(token) = self.tokens.get(self.pos).cloned() else {
            return invalid("ends where a search name, 'not' or '(' was expected".to_owned());
        };
        self.pos += 1;
        let word = match token {
            Token::Open => {
                let inner = self.or(depth + 1)?;
                return match self.tokens.get(self.pos) {
                    Some(Token::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => invalid("has a '(' without its ')'".to_owned()),
                };
            }
            Token::Close => {
                return invalid("has a ')' where a search name was expected".to_owned())
            }
            Token::Word(word) => word,
        };
        if self.peek_word("of") {
            self.pos += 1;
            let all = match word.to_ascii_lowercase().as_str() {
                "1" | "any" => false,
                "all" => true,
                n if n.parse::<u32>().is_ok() => {
                    return Err(Problem::Unsupported(format!(
                        "the quantifier '{} of'",
                        short(&word)
                    )))
                }
                _ => {
                    return invalid(format!(
                        "'{} of' must be '1 of', 'any of' or 'all of'",
                        short(&word)
                    ))
                }
            };
            let Some(Token::Word(target)) = self.tokens.get(self.pos).cloned() else {
                return invalid(format!(
                    "'{} of' must be followed by a search name pattern or 'them'",
                    short(&word)
                ));
            };
            self.pos += 1;
            let picked: Vec<Cond> = self
                .names
                .iter()
                .enumerate()
                .filter(|(_, name)| match target.as_str() {
                    "them" => !name.starts_with('_'),
                    pattern => glob(pattern, name),
                })
                .map(|(i, _)| Cond::Search(i))
                .collect();
            if picked.is_empty() {
                return invalid(format!(
                    "'{} of {}' matches no search: define one or fix the pattern",
                    short(&word),
                    short(&target)
                ));
            }
            return Ok(if all {
                Cond::And(picked)
            } else {
                Cond::Or(picked)
            });
        }
        if ["and", "or", "not", "of", "them"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k))
        {
            return invalid(format!(
                "has '{}' where a search name was expected",
                short(&word)
            ));
        }
        match self.names.iter().position(|n| *n == word) {
            Some(i) => Ok(Cond::Search(i)),
            None => invalid(format!(
                "search '{}' is not defined: define it under detection or fix the condition",
                short(&word)
            )),
        }
    }
}

/// Sigma name patterns: `*` matches any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cond::*;
    use super::*;

    fn names() -> Vec<String> {
        ["selection", "filter_a", "filter_b", "sel_x", "_hidden"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn parses_table() {
        for (text, want) in [
            ("selection", Search(0)),
            (
                "selection and not filter_a",
                And(vec![Search(0), Not(Box::new(Search(1)))]),
            ),
            (
                "selection or filter_a and filter_b",
                Or(vec![Search(0), And(vec![Search(1), Search(2)])]),
            ),
            (
                "(selection or filter_a) and filter_b",
                And(vec![Or(vec![Search(0), Search(1)]), Search(2)]),
            ),
            ("not not selection", Not(Box::new(Not(Box::new(Search(0)))))),
            ("1 of filter_*", Or(vec![Search(1), Search(2)])),
            ("any of filter_*", Or(vec![Search(1), Search(2)])),
            ("all of filter_*", And(vec![Search(1), Search(2)])),
            (
                "selection and not 1 of filter*",
                And(vec![
                    Search(0),
                    Not(Box::new(Or(vec![Search(1), Search(2)]))),
                ]),
            ),
            (
                "1 of them",
                Or(vec![Search(0), Search(1), Search(2), Search(3)]),
            ),
            (
                "all of them",
                And(vec![Search(0), Search(1), Search(2), Search(3)]),
            ),
            ("1 of *_x", Or(vec![Search(3)])),
            (
                "selection AND NOT filter_a",
                And(vec![Search(0), Not(Box::new(Search(1)))]),
            ),
            ("_hidden", Search(4)),
        ] {
            assert_eq!(parse(text, &names()), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_table() {
        for (text, want) in [
            ("selection and nope", Problem::Invalid("condition \"selection and nope\": search 'nope' is not defined: define it under detection or fix the condition".to_owned())),
            ("(selection", Problem::Invalid("condition \"(selection\": has a '(' without its ')'".to_owned())),
            ("selection filter_a", Problem::Invalid("condition \"selection filter_a\": unexpected 'filter_a' after a complete expression".to_owned())),
            ("selection and", Problem::Invalid("condition \"selection and\": ends where a search name, 'not' or '(' was expected".to_owned())),
            ("1 of nothing*", Problem::Invalid("condition \"1 of nothing*\": '1 of nothing*' matches no search: define one or fix the pattern".to_owned())),
            ("selection | count() by userIdentity.arn > 6", Problem::Unsupported("an aggregation ('| count() by userIdentity.arn > 6')".to_owned())),
            ("selection near filter_a", Problem::Unsupported("the 'near' operator".to_owned())),
            ("2 of filter_*", Problem::Unsupported("the quantifier '2 of'".to_owned())),
        ] {
            assert_eq!(parse(text, &names()), Err(want), "{text}");
        }
        let deep = format!("{}selection{}", "(".repeat(100), ")".repeat(100));
        assert!(
            matches!(parse(&deep, &names()), Err(Problem::Invalid(m)) if m.contains("nested deeper"))
        );
    }

    #[test]
    fn evaluates() {
        let cond = parse("selection and not 1 of filter_*", &names()).unwrap();
        for (hits, want) in [
            ([true, false, false], true),
            ([true, true, false], false),
            ([false, false, false], false),
        ] {
            assert_eq!(
                cond.eval(&mut |i| hits.get(i).copied().unwrap_or(false)),
                want,
                "{hits:?}"
            );
        }
    }
}
