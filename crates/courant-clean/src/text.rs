//! Small text helpers shared by the detectors.

/// A word: letters and digits, with inner apostrophes and hyphens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

/// Words with byte offsets. Hyphens and apostrophes join only between letters.
pub(crate) fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    let mut start: Option<usize> = None;
    let mut prev_alnum = false;
    while let Some((i, c)) = it.next() {
        let alnum = c.is_alphanumeric();
        let joiner = matches!(c, '\'' | '’' | '-')
            && prev_alnum
            && start.is_some()
            && it.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
        match (start, alnum || joiner) {
            (None, true) if alnum => start = Some(i),
            (Some(s), false) => {
                out.push(Word {
                    start: s,
                    end: i,
                    text: &text[s..i],
                });
                start = None;
            }
            _ => {}
        }
        prev_alnum = alnum;
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: text.len(),
            text: &text[s..],
        });
    }
    out
}

/// Collapses what deletions leave behind: double spaces, spaces before
/// punctuation that were not there before, and empty paragraphs.
pub(crate) fn tidy(s: &str) -> String {
    let mut pars: Vec<String> = Vec::new();
    for par in s.split("\n\n") {
        let lines: Vec<String> = par
            .split('\n')
            .map(|l| {
                let mut out = String::with_capacity(l.len());
                for w in l.split(' ').filter(|w| !w.is_empty()) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                out
            })
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            pars.push(lines.join("\n"));
        }
    }
    pars.join("\n\n")
}

/// Closed-class words of a language: articles, prepositions, conjunctions,
/// pronouns, auxiliaries and the verbs of reporting. A glued word whose second
/// half is one of these is almost never a legitimate compound.
pub(crate) fn function_words(lang: &str) -> &'static [&'static str] {
    match lang {
        "de" => &[
            "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
            "eines", "und", "oder", "aber", "sondern", "mit", "von", "vom", "zu", "zum", "zur",
            "im", "am", "an", "auf", "aus", "bei", "für", "gegen", "nach", "seit", "über", "unter",
            "vor", "hinter", "durch", "ohne", "um", "sich", "sie", "er", "es", "wir", "ihr", "ist",
            "sind", "war", "waren", "hat", "haben", "hatte", "hatten", "wird", "werden", "wurde",
            "wurden", "soll", "sollen", "kann", "können", "muss", "müssen", "nicht", "auch",
            "noch", "schon", "dass", "wenn", "als", "wie", "sagte", "sagten", "in",
        ],
        "en" => &[
            "the", "a", "an", "of", "to", "in", "on", "at", "for", "with", "and", "or", "but",
            "from", "by", "as", "is", "are", "was", "were", "be", "been", "has", "have", "had",
            "will", "would", "could", "should", "can", "said", "says", "told", "that", "this",
            "it", "he", "she", "they", "we", "his", "her", "their", "its", "not", "also", "after",
            "before", "over", "under", "about", "into",
        ],
        "fr" => &[
            "le", "la", "les", "l", "un", "une", "des", "du", "de", "et", "ou", "mais", "à", "au",
            "aux", "en", "dans", "sur", "pour", "par", "avec", "sans", "sous", "a", "ont", "est",
            "sont", "était", "été", "sera", "il", "elle", "ils", "elles", "on", "nous", "vous",
            "qui", "que", "ne", "pas", "plus", "se", "sa", "son", "ses", "leur", "leurs", "y",
            "dit",
        ],
        _ => &[],
    }
}
