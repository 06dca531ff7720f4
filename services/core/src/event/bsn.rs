//! Finding and masking BSNs however they are written (spec §2: no BSN may enter
//! caseflow, not even the dead letters).
//!
//! A BSN is nine digits passing the 11-test. A reader also recognises it as
//! `1234.56.782`, `123 456 782`, in full-width or Arabic-Indic digits, with a
//! zero-width space inside, or as JSON escapes `\u0031\u0032…`; so detection runs
//! on a normalised reading of the text:
//!
//! * **digits** are the Unicode decimal digits of every script (general category
//!   Nd; their value is their place in the block of ten Unicode encodes each
//!   script's digits in), plus the characters whose compatibility decomposition is
//!   one such digit (superscripts `¹`, circled `①`);
//! * **invisible** characters are skipped as if absent: format characters (Cf:
//!   zero-width space and joiners U+200B–U+200D, word joiner U+2060, BOM U+FEFF,
//!   soft hyphen U+00AD, direction marks), combining marks (Mn, Mc, Me) and the
//!   control characters that are not whitespace;
//! * **tight separators** join digit groups into one number: `.`, `-`, `/`, every
//!   dash (Pd), the minus sign, middle and leader dots, fraction and division
//!   slashes, their full-width forms;
//! * **loose separators** are spaces (Zs, line and paragraph separators, tab, line
//!   feed): `1234 56 782` is a BSN, but a space also separates words, so in
//!   `123456782 2 keer` the BSN stands on its own;
//! * JSON escapes (`\uXXXX`, surrogate pairs, `\n`, `\t`, … after any number of
//!   backslashes, so escaped-again text is read too) count as the character they
//!   spell.
//!
//! A **chain** is a run of digit groups, each joint between two groups being one
//! to three separators. A **candidate** is nine digits the chain's reader could
//! take for one number: a tight segment (groups joined by tight separators only)
//! of nine digits, or consecutive plain groups joined by spaces holding nine
//! digits together. A candidate passing the 11-test is a BSN. Not candidates, to
//! keep legitimate values in:
//!
//! * digits glued to a **hex token** (letters and digits next to them, all ASCII
//!   hex): a UUID or hash such as `c1234567-82ab-…` or `deadbeef123456782` is an
//!   identifier, not a number. Digits glued to other letters (`BSN123456782`)
//!   remain candidates;
//! * part of an **international phone number**: a chain right after `+` only
//!   counts as a whole (`+31 6 12345678` is 11 digits);
//! * a group next to `:` and a digit (a **time** such as `9:30`).
//!
//! Dates (8 digits, or 6–7 without leading zeros) and Dutch phone numbers written
//! `06 12345678`, `020 123 4567` or `06-12345678` never form a candidate. What
//! remains possible: numbers of ten or more digits written in space-separated
//! groups where some consecutive groups hold nine digits (`0031 6 12345678`),
//! of which one in eleven passes the 11-test and is taken for a BSN.

use unicode_normalization::char::decompose_compatible;
use unicode_properties::{GeneralCategory as Gc, UnicodeGeneralCategory};

/// True when `s` is 9 ASCII digits passing the 11-test (elfproef) for a BSN.
pub fn is_bsn(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut d = [0u8; 9];
    for (x, c) in d.iter_mut().zip(b) {
        *x = c - b'0';
    }
    passes_eleven_test(&d)
}

fn passes_eleven_test(d: &[u8; 9]) -> bool {
    let sum: i64 = (0..8)
        .map(|i| i64::from(d[i]) * (9 - i as i64))
        .sum::<i64>()
        - i64::from(d[8]);
    sum % 11 == 0 && d.iter().any(|&x| x != 0)
}

/// True when `s`, read as described in the module documentation, holds a BSN.
pub fn contains_bsn(s: &str) -> bool {
    if cannot_hold_nine_digits(s.as_bytes()) {
        return false;
    }
    !bsn_digits(&units(s.as_bytes())).is_empty()
}

/// The bytes with the digits of every BSN replaced by `*` (one `*` per digit,
/// whether it was written as one byte, a multi-byte character or a JSON
/// escape). Everything else is kept byte for byte, including bytes that are not
/// valid UTF-8, so a rejected line can be kept without keeping a BSN.
pub fn mask_bsn(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if cannot_hold_nine_digits(bytes) {
        return out;
    }
    // Masking a BSN never creates another; the loop only guards that claim.
    for _ in 0..4 {
        let units = units(&out);
        let found = bsn_digits(&units);
        if found.is_empty() {
            break;
        }
        let mut masked = vec![false; units.len()];
        for i in found {
            masked[i] = true;
        }
        let mut next = Vec::with_capacity(out.len());
        for (u, m) in units.iter().zip(masked) {
            if m {
                next.push(b'*');
            } else {
                next.extend_from_slice(&out[u.start..u.end]);
            }
        }
        out = next;
    }
    out
}

/// [`mask_bsn`] for text: logs, rejection reasons.
pub fn mask_bsn_text(s: &str) -> String {
    if cannot_hold_nine_digits(s.as_bytes()) {
        return s.to_string();
    }
    // Whole characters are replaced by `*`, so valid UTF-8 stays valid.
    String::from_utf8(mask_bsn(s.as_bytes()))
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Plain ASCII with fewer than nine digits and no escape: nothing to find. Saves
/// the full reading on the common short values.
fn cannot_hold_nine_digits(b: &[u8]) -> bool {
    b.is_ascii() && !b.contains(&b'\\') && b.iter().filter(|c| c.is_ascii_digit()).count() < 9
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit {
        value: u8,
        ascii: bool,
    },
    Tight,
    Loose,
    Invisible,
    /// A letter or a numeric character that is not a digit; `hex` for ASCII
    /// `a-f`/`A-F`.
    Word {
        hex: bool,
    },
    Plus,
    Colon,
    Other,
}

/// One character as a reader sees it, and the bytes it was written with.
#[derive(Debug, Clone, Copy)]
struct Unit {
    class: Class,
    start: usize,
    end: usize,
}

/// Reads bytes as characters: JSON escapes decoded, invalid UTF-8 as opaque units.
fn units(bytes: &[u8]) -> Vec<Unit> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut base = 0;
    for chunk in bytes.utf8_chunks() {
        let s = chunk.valid();
        read_str(s, base, &mut out);
        base += s.len();
        let bad = chunk.invalid();
        if !bad.is_empty() {
            out.push(Unit {
                class: Class::Other,
                start: base,
                end: base + bad.len(),
            });
            base += bad.len();
        }
    }
    out
}

fn read_str(s: &str, base: usize, out: &mut Vec<Unit>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let (class, end) = read_escape(b, i);
            out.push(Unit {
                class,
                start: base + i,
                end: base + end,
            });
            i = end;
            continue;
        }
        let c = s[i..].chars().next().expect("i is on a char boundary");
        let end = i + c.len_utf8();
        out.push(Unit {
            class: classify(c),
            start: base + i,
            end: base + end,
        });
        i = end;
    }
}

/// An escape starting at `b[i] == b'\\'`: its class and where it ends. Any number
/// of backslashes may precede the escape letter (text escaped more than once).
fn read_escape(b: &[u8], i: usize) -> (Class, usize) {
    let mut k = i;
    while k < b.len() && b[k] == b'\\' {
        k += 1;
    }
    match b.get(k) {
        Some(b'u') => match hex4(b, k + 1) {
            Some(hi @ 0xD800..=0xDBFF) => {
                // A surrogate pair: the low half must follow as another escape.
                let mut m = k + 5;
                let start = m;
                while m < b.len() && b[m] == b'\\' {
                    m += 1;
                }
                match (m > start && b.get(m) == Some(&b'u'))
                    .then(|| hex4(b, m + 1))
                    .flatten()
                {
                    Some(lo @ 0xDC00..=0xDFFF) => {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        (char::from_u32(c).map_or(Class::Other, classify), m + 5)
                    }
                    _ => (Class::Other, k + 5),
                }
            }
            Some(code) => (char::from_u32(code).map_or(Class::Other, classify), k + 5),
            None => (Class::Other, k),
        },
        Some(b'n' | b'r' | b't' | b'f') => (Class::Loose, k + 1),
        Some(b'b') => (Class::Invisible, k + 1),
        Some(b'/') => (Class::Tight, k + 1),
        _ => (Class::Other, k),
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let h = b.get(at..at + 4)?;
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

fn classify(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            '0'..='9' => Class::Digit {
                value: c as u8 - b'0',
                ascii: true,
            },
            '.' | '-' | '/' => Class::Tight,
            ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' => Class::Loose,
            '+' => Class::Plus,
            ':' => Class::Colon,
            'a'..='f' | 'A'..='F' => Class::Word { hex: true },
            'g'..='z' | 'G'..='Z' => Class::Word { hex: false },
            c if c.is_control() => Class::Invisible,
            _ => Class::Other,
        };
    }
    match c {
        '\u{85}' => return Class::Loose,
        '\u{b7}' | '\u{2024}' | '\u{2027}' | '\u{2044}' | '\u{2212}' | '\u{2215}' | '\u{2219}'
        | '\u{30fb}' | '\u{fe52}' | '\u{ff0e}' | '\u{ff0f}' | '\u{ff65}' => return Class::Tight,
        _ => {}
    }
    match c.general_category() {
        Gc::DecimalNumber => Class::Digit {
            value: decimal_value(c),
            ascii: false,
        },
        Gc::OtherNumber => match compatibility_digit(c) {
            Some(value) => Class::Digit {
                value,
                ascii: false,
            },
            None => Class::Word { hex: false },
        },
        Gc::SpaceSeparator | Gc::LineSeparator | Gc::ParagraphSeparator => Class::Loose,
        Gc::DashPunctuation => Class::Tight,
        Gc::Control | Gc::Format | Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark => {
            Class::Invisible
        }
        Gc::UppercaseLetter
        | Gc::LowercaseLetter
        | Gc::TitlecaseLetter
        | Gc::ModifierLetter
        | Gc::OtherLetter
        | Gc::LetterNumber => Class::Word { hex: false },
        _ => Class::Other,
    }
}

/// The value of a decimal digit (Nd). Unicode encodes decimal digits only in
/// contiguous blocks of ten, 0 to 9 (a stability guarantee), so the value is the
/// distance to the start of the run of Nd characters, modulo ten.
fn decimal_value(c: char) -> u8 {
    let mut n = 0u32;
    let mut u = c as u32;
    while n < 100 {
        match u.checked_sub(1).and_then(char::from_u32) {
            Some(p) if p.general_category() == Gc::DecimalNumber => {
                n += 1;
                u -= 1;
            }
            _ => break,
        }
    }
    (n % 10) as u8
}

/// A numeric character whose compatibility decomposition is one decimal digit:
/// superscripts, subscripts, circled digits.
fn compatibility_digit(c: char) -> Option<u8> {
    let mut first = None;
    let mut count = 0;
    decompose_compatible(c, |d| {
        count += 1;
        first.get_or_insert(d);
    });
    match (count, first) {
        (1, Some(d)) if d != c => match classify(d) {
            Class::Digit { value, .. } => Some(value),
            _ => None,
        },
        _ => None,
    }
}

/// Indices (into `units`) of the digits of every BSN found.
fn bsn_digits(units: &[Unit]) -> Vec<usize> {
    // Invisible units are read as if absent.
    let vis: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].class != Class::Invisible)
        .collect();
    let class = |p: usize| units[vis[p]].class;
    let is_digit = |p: usize| matches!(class(p), Class::Digit { .. });
    let mut found = Vec::new();
    let mut p = 0;
    while p < vis.len() {
        if !is_digit(p) {
            p += 1;
            continue;
        }
        let chain_start = p;
        // groups: positions (into vis) of the digits; loose: the joint after a group
        let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
        let mut loose: Vec<bool> = Vec::new();
        loop {
            while p < vis.len() && is_digit(p) {
                groups.last_mut().expect("a group").push(p);
                p += 1;
            }
            let mut q = p;
            let mut has_loose = false;
            while q < vis.len() && q - p < 3 && matches!(class(q), Class::Tight | Class::Loose) {
                has_loose |= class(q) == Class::Loose;
                q += 1;
            }
            if q > p && q < vis.len() && is_digit(q) {
                loose.push(has_loose);
                groups.push(Vec::new());
                p = q;
            } else {
                break;
            }
        }
        let chain_end = p; // first position after the last digit
        let before = chain_start.checked_sub(1).map(class);
        let after = (chain_end < vis.len()).then(|| class(chain_end));
        let plus = before == Some(Class::Plus);
        let start_blocked =
            (chain_start >= 2 && before == Some(Class::Colon) && is_digit(chain_start - 2))
                || matches!(before, Some(Class::Word { hex: true }))
                    && hex_token(units, &vis, chain_start - 1, &groups[0], Dir::Left);
        let last = groups.len() - 1;
        let end_blocked =
            (after == Some(Class::Colon) && chain_end + 1 < vis.len() && is_digit(chain_end + 1))
                || matches!(after, Some(Class::Word { hex: true }))
                    && hex_token(units, &vis, chain_end, &groups[last], Dir::Right);

        // Tight segments: [first group, last group] joined by tight joints only.
        let mut segments: Vec<(usize, usize)> = Vec::new();
        let mut s = 0;
        // The chain ends after the last group as a loose joint would.
        for (g, ends_segment) in loose.iter().copied().chain([true]).enumerate() {
            if ends_segment {
                segments.push((s, g));
                s = g + 1;
            }
        }
        let digits = |a: usize, b: usize| -> usize { groups[a..=b].iter().map(Vec::len).sum() };
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        if plus {
            if digits(0, last) == 9 {
                candidates.push((0, last));
            }
        } else {
            for &(a, b) in &segments {
                if digits(a, b) == 9 {
                    candidates.push((a, b));
                }
            }
            // Plain groups joined by spaces.
            for i in 0..segments.len() {
                let mut n = 0;
                for &(a, b) in &segments[i..] {
                    if a != b {
                        break;
                    }
                    n += groups[a].len();
                    if n >= 9 {
                        if n == 9 && b > segments[i].0 {
                            candidates.push((segments[i].0, b));
                        }
                        break;
                    }
                }
            }
        }
        for (a, b) in candidates {
            if (a == 0 && start_blocked) || (b == last && end_blocked) {
                continue;
            }
            let positions: Vec<usize> = groups[a..=b].iter().flatten().copied().collect();
            let mut d = [0u8; 9];
            for (x, &pos) in d.iter_mut().zip(&positions) {
                if let Class::Digit { value, .. } = class(pos) {
                    *x = value;
                }
            }
            if passes_eleven_test(&d) {
                found.extend(positions.iter().map(|&pos| vis[pos]));
            }
        }
        p = chain_end.max(chain_start + 1);
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[derive(Clone, Copy)]
enum Dir {
    Left,
    Right,
}

/// True when the letters and digits around `edge` (the position just outside a
/// chain) together with the digit group next to it are all ASCII hex digits: the
/// digits are part of a hex token such as a UUID or a hash.
fn hex_token(units: &[Unit], vis: &[usize], edge: usize, group: &[usize], dir: Dir) -> bool {
    let ascii_digit = |p: usize| matches!(units[vis[p]].class, Class::Digit { ascii: true, .. });
    if !group.iter().all(|&p| ascii_digit(p)) {
        return false;
    }
    let mut p = edge;
    loop {
        match units[vis[p]].class {
            Class::Word { hex: true } | Class::Digit { ascii: true, .. } => {}
            Class::Word { hex: false } | Class::Digit { ascii: false, .. } => return false,
            _ => return true,
        }
        match dir {
            Dir::Left if p == 0 => return true,
            Dir::Left => p -= 1,
            Dir::Right if p + 1 == vis.len() => return true,
            Dir::Right => p += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits_of_other_scripts_have_their_value() {
        for zero in [
            0x30u32, 0x660, 0x6F0, 0x7C0, 0x966, 0xE50, 0xFF10, 0x1D7CE, 0x1D7F6,
        ] {
            for v in 0..10u8 {
                let c = char::from_u32(zero + u32::from(v)).unwrap();
                assert_eq!(
                    classify(c),
                    Class::Digit {
                        value: v,
                        ascii: zero == 0x30
                    },
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        assert_eq!(
            classify('¹'),
            Class::Digit {
                value: 1,
                ascii: false
            }
        );
        assert_eq!(
            classify('⑨'),
            Class::Digit {
                value: 9,
                ascii: false
            }
        );
        assert_eq!(classify('½'), Class::Word { hex: false });
        assert_eq!(classify('Ⅻ'), Class::Word { hex: false });
    }

    #[test]
    fn separators_and_invisible_characters() {
        for c in ['.', '-', '/', '\u{2013}', '\u{2212}', '\u{ff0e}'] {
            assert_eq!(classify(c), Class::Tight, "U+{:04X}", c as u32);
        }
        for c in [' ', '\u{a0}', '\u{202f}', '\u{3000}', '\n'] {
            assert_eq!(classify(c), Class::Loose, "U+{:04X}", c as u32);
        }
        for c in [
            '\u{200b}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{332}', '\u{0}',
        ] {
            assert_eq!(classify(c), Class::Invisible, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn escapes_are_read_as_the_character_they_spell() {
        let classes =
            |s: &str| -> Vec<Class> { units(s.as_bytes()).iter().map(|u| u.class).collect() };
        let one = Class::Digit {
            value: 1,
            ascii: true,
        };
        assert_eq!(classes(r"\u0031"), vec![one]);
        assert_eq!(classes(r"\\u0031"), vec![one]);
        assert_eq!(classes(r"\n"), vec![Class::Loose]);
        assert_eq!(
            classes(r"\ud835\udfcf"),
            vec![Class::Digit {
                value: 1,
                ascii: false
            }]
        );
        assert_eq!(
            classes(r"\ud835x"),
            vec![Class::Other, Class::Word { hex: false }]
        );
        assert_eq!(
            classes(r"\u00"),
            vec![
                Class::Other,
                Class::Word { hex: false },
                Class::Digit {
                    value: 0,
                    ascii: true
                },
                Class::Digit {
                    value: 0,
                    ascii: true
                }
            ]
        );
    }
}
