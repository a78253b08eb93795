//! ELIZA-style answers: match a keyword pattern, reflect the rest of the sentence.

/// Pronoun swaps applied to the reflected part of a sentence.
const REFLECTIONS: &[(&str, &str)] = &[
    ("i", "you"),
    ("me", "you"),
    ("my", "your"),
    ("am", "are"),
    ("i'm", "you are"),
    ("you", "I"),
    ("your", "my"),
    ("yours", "mine"),
    ("are", "am"),
    ("myself", "yourself"),
];

/// Patterns in priority order: a lowercase prefix and the answer template (`{}` is the
/// reflected rest of the sentence).
const RULES: &[(&str, &str)] = &[
    ("i need ", "Why do you need {}?"),
    ("i feel ", "Why do you feel {}?"),
    ("i am ", "How long have you been {}?"),
    ("i'm ", "How does being {} make you feel?"),
    ("i think ", "Do you really think {}?"),
    ("i want ", "What would it mean to you if you got {}?"),
    ("because ", "Is that the real reason?"),
    ("my ", "Tell me more about your {}."),
    ("you are ", "What makes you think I am {}?"),
    ("can you ", "What makes you think I can't {}?"),
    ("why don't you ", "Do you really think I don't {}?"),
];

/// What Eliza says when no rule matches, picked by the sentence's length.
const FALLBACKS: &[&str] = &[
    "Please tell me more.",
    "How does that make you feel?",
    "Let's change focus a bit... tell me about your family.",
    "Why do you say that?",
    "I see. And what does that tell you?",
];

fn reflect(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len() + 8);
    for w in fragment.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let swapped = REFLECTIONS
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(w))
            .map_or(w, |(_, to)| to);
        out.push_str(swapped);
    }
    out
}

/// `s` without `prefix` (ASCII, lowercase), compared ASCII-case-insensitively.
///
/// Matching on the original string (never on a lowercased copy, whose byte offsets differ:
/// `"\u{212a}"`, the Kelvin sign, lowercases from 3 bytes to 1) keeps every offset a char
/// boundary of `s`: the matched bytes are ASCII, so what follows them starts a char.
fn strip_prefix_ascii_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Eliza's answer to one sentence.
#[must_use]
pub fn reply(sentence: &str) -> String {
    let trimmed = sentence.trim().trim_end_matches(['.', '!', '?']);
    if trimmed.is_empty() {
        return "Say something, please.".to_owned();
    }
    if ["hello", "hi", "hey"]
        .iter()
        .any(|g| strip_prefix_ascii_ci(trimmed, g).is_some())
    {
        return "Hello. How are you feeling today?".to_owned();
    }
    for (prefix, template) in RULES {
        if let Some(rest) = strip_prefix_ascii_ci(trimmed, prefix) {
            return template.replace("{}", &reflect(rest));
        }
    }
    if sentence.trim_end().ends_with('?') {
        return "Why do you ask?".to_owned();
    }
    FALLBACKS[trimmed.len() % FALLBACKS.len()].to_owned()
}

/// The lines Eliza introduces herself with.
#[must_use]
pub fn introduction(name: &str) -> Vec<String> {
    let name = name.trim();
    let name = if name.is_empty() { "friend" } else { name };
    vec![
        format!("Hi {name}. I'm Eliza."),
        "Before we begin, I should tell you I'm a computer program from the 1960s.".to_owned(),
        "I answer by reflecting what you say, so tell me what is on your mind.".to_owned(),
        "How are you feeling today?".to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_reflect() {
        assert_eq!(
            reply("I feel tired of my work."),
            "Why do you feel tired of your work?"
        );
        assert_eq!(reply("I need a holiday"), "Why do you need a holiday?");
        assert_eq!(reply("Hello there"), "Hello. How are you feeling today?");
        assert_eq!(reply(""), "Say something, please.");
        assert!(FALLBACKS.contains(&reply("The weather").as_str()));
    }

    #[test]
    fn unicode_whose_lowercase_changes_length() {
        // The Kelvin sign lowercases from 3 bytes to 1; 'İ' grows from 2 bytes to 3.
        assert_eq!(reply("i feel \u{212a}"), "Why do you feel \u{212a}?");
        let s = "\u{212a}\u{212a} i feel x";
        assert_eq!(reply(s), FALLBACKS[s.len() % FALLBACKS.len()]);
        assert_eq!(
            reply("İ feel fine"),
            FALLBACKS["İ feel fine".len() % FALLBACKS.len()]
        );
        assert_eq!(reply("I FEEL İİ"), "Why do you feel İİ?");
        assert_eq!(reply("MY İ"), "Tell me more about your İ.");
    }

    proptest::proptest! {
        /// Any sentence gets an answer: no panic, never empty.
        #[test]
        fn any_sentence_is_answered(s in "\\PC*") {
            proptest::prop_assert!(!reply(&s).is_empty());
        }

        /// A rule's prefix followed by anything reflects that rest, whatever its Unicode.
        #[test]
        fn rules_reflect_any_rest(rest in "[^\\s.!?]([^.!?]*[^\\s.!?])?", upper in proptest::bool::ANY) {
            let prefix = if upper { "I NEED " } else { "i need " };
            let answer = reply(&format!("{prefix}{rest}"));
            let reflected = reflect(&rest);
            proptest::prop_assert_eq!(answer, format!("Why do you need {reflected}?"));
        }

        /// Mixed-width characters before and inside the sentence never break slicing.
        #[test]
        fn mixed_width_prefixes(pre in proptest::collection::vec(proptest::sample::select(vec!["\u{212a}", "İ", "ß", "a", " ", "ǅ", "\u{1f600}"]), 0..8), rule in proptest::sample::select(RULES.iter().map(|r| r.0).collect::<Vec<_>>())) {
            let s = format!("{}{rule}{}", pre.concat(), pre.concat());
            proptest::prop_assert!(!reply(&s).is_empty());
        }
    }

    #[test]
    fn introduction_uses_name() {
        let lines = introduction("Ada");
        assert_eq!(lines[0], "Hi Ada. I'm Eliza.");
        assert_eq!(introduction(" ")[0], "Hi friend. I'm Eliza.");
    }
}
