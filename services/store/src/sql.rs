//! Small helpers for SQL that both SQLite and PostgreSQL accept.

/// `($1, $2, $3), ($4, $5, $6), …` for `rows` rows of `cols` columns,
/// numbering from `first`.
pub fn values_placeholders(rows: usize, cols: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$first, $first+1, …` for an `IN (…)` list of `n` items.
pub fn list_placeholders(n: usize, first: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Parameters per statement stay well below SQLite's and PostgreSQL's limits.
pub const MAX_PARAMS: usize = 30_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(values_placeholders(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list_placeholders(3, 2), "$2, $3, $4");
    }
}
