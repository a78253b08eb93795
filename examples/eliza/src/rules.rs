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
    fragment
        .split_whitespace()
        .map(|w| {
            let lower = w.to_lowercase();
            REFLECTIONS
                .iter()
                .find(|(from, _)| *from == lower)
                .map_or(w, |(_, to)| to)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Eliza's answer to one sentence.
#[must_use]
pub fn reply(sentence: &str) -> String {
    let trimmed = sentence.trim().trim_end_matches(['.', '!', '?']);
    let lower = trimmed.to_lowercase();
    if lower.is_empty() {
        return "Say something, please.".to_owned();
    }
    if ["hello", "hi", "hey"].iter().any(|g| lower.starts_with(g)) {
        return "Hello. How are you feeling today?".to_owned();
    }
    for (prefix, template) in RULES {
        if let Some(rest) = lower.strip_prefix(prefix) {
            // Reflect the original casing of the rest of the sentence.
            let rest = &trimmed[trimmed.len() - rest.len()..];
            return template.replace("{}", &reflect(rest));
        }
    }
    if lower.ends_with('?') || sentence.trim_end().ends_with('?') {
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
    fn introduction_uses_name() {
        let lines = introduction("Ada");
        assert_eq!(lines[0], "Hi Ada. I'm Eliza.");
        assert_eq!(introduction(" ")[0], "Hi friend. I'm Eliza.");
    }
}
