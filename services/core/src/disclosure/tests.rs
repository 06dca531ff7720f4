use super::*;
use proptest::prelude::*;
use serde_json::json;

const LOCAL: Rules = Rules {
    threshold: 5,
    national: false,
};
const NATIONAL: Rules = Rules {
    threshold: 10,
    national: true,
};

fn count(indicator: &str, v: f64) -> Cell {
    Cell::new(
        "0363",
        "wmo",
        "2026-Q3",
        indicator,
        None,
        Some(v),
        Kind::Count,
    )
}

fn share(indicator: &str, k: f64, n: f64) -> Cell {
    let value = (n > 0.0).then(|| k / n);
    Cell::new(
        "0363",
        "wmo",
        "2026-Q3",
        indicator,
        None,
        value,
        Kind::Share {
            numerator: k,
            denominator: n,
        },
    )
}

fn statistic(indicator: &str, v: Option<f64>, n: f64) -> Cell {
    Cell::new(
        "0363",
        "wmo",
        "2026-Q3",
        indicator,
        Some("besluit"),
        v,
        Kind::Statistic { denominator: n },
    )
}

/// A group's total (the sum of `categories` unless `total` is given) and its category cells.
fn group(
    quarter: &str,
    indicator: &str,
    total: Option<f64>,
    categories: &[(&str, f64)],
) -> Vec<Cell> {
    let sum = categories.iter().map(|(_, v)| v).sum();
    let mut cells = vec![Cell::new(
        "0363",
        "wmo",
        quarter,
        indicator,
        Some(TOTAAL),
        Some(total.unwrap_or(sum)),
        Kind::GroupTotal,
    )];
    cells.extend(categories.iter().map(|(code, v)| {
        Cell::new(
            "0363",
            "wmo",
            quarter,
            indicator,
            Some(code),
            Some(*v),
            Kind::GroupCategory,
        )
    }));
    cells
}

fn applied(mut cells: Vec<Cell>, rules: Rules) -> Vec<Cell> {
    apply(&mut cells, rules);
    cells
}

fn find<'a>(cells: &'a [Cell], indicator: &str, category: Option<&str>) -> &'a Cell {
    cells
        .iter()
        .find(|c| c.indicator == indicator && c.category.as_deref() == category)
        .unwrap_or_else(|| panic!("no cell {indicator} {category:?}"))
}

fn outcome(c: &Cell) -> (Shown, Option<Suppression>) {
    (c.shown, c.suppressed)
}

#[test]
fn primary_boundaries_for_counts() {
    let cells = applied(
        vec![
            count("a", 0.0),
            count("b", 1.0),
            count("c", 4.0),
            count("d", 5.0),
        ],
        LOCAL,
    );
    assert_eq!(
        outcome(&cells[0]),
        (Shown::Number(0.0), None),
        "zero is shown"
    );
    assert_eq!(
        outcome(&cells[1]),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(&cells[2]),
        (Shown::Below(5), Some(Suppression::Primary)),
        "t − 1"
    );
    assert_eq!(
        outcome(&cells[3]),
        (Shown::Number(5.0), None),
        "t itself is shown"
    );
    // The true value stays for the analysts.
    assert_eq!(cells[2].value, Some(4.0));

    let t8 = Rules {
        threshold: 8,
        national: false,
    };
    let cells = applied(vec![count("a", 7.0), count("b", 8.0)], t8);
    assert_eq!(
        outcome(&cells[0]),
        (Shown::Below(8), Some(Suppression::Primary))
    );
    assert_eq!(outcome(&cells[1]), (Shown::Number(8.0), None));
}

#[test]
fn primary_applies_to_totals_and_categories() {
    let cells = applied(
        group(
            "2026-Q3",
            "aanvragen",
            None,
            &[("a", 2.0), ("b", 1.0), ("c", 0.0)],
        ),
        LOCAL,
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some(TOTAAL))),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("a"))),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("b"))),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("c"))),
        (Shown::Number(0.0), None)
    );
}

#[test]
fn share_rules_and_their_boundaries() {
    let cells = applied(
        vec![
            share("n_below_t", 2.0, 4.0),
            share("n_zero", 0.0, 0.0),
            share("n_is_t", 0.0, 5.0),
            share("n_is_t_all", 5.0, 5.0),
            share("n_is_t_k_one", 1.0, 5.0),
            share("k_t_minus_1", 4.0, 20.0),
            share("k_t", 5.0, 20.0),
            share("rest_t_minus_1", 16.0, 20.0),
            share("rest_t", 15.0, 20.0),
        ],
        LOCAL,
    );
    let hidden = |r| (Shown::Hidden, Some(r));
    assert_eq!(outcome(&cells[0]), hidden(Suppression::Denominator));
    assert_eq!(cells[1].value, None);
    assert_eq!(
        outcome(&cells[1]),
        hidden(Suppression::Denominator),
        "n = 0"
    );
    assert_eq!(
        outcome(&cells[2]),
        (Shown::Number(0.0), None),
        "n exactly t, k = 0"
    );
    assert_eq!(
        outcome(&cells[3]),
        (Shown::Number(1.0), None),
        "n exactly t, n − k = 0"
    );
    assert_eq!(
        outcome(&cells[4]),
        hidden(Suppression::Share),
        "n exactly t, k = 1"
    );
    assert_eq!(outcome(&cells[5]), hidden(Suppression::Share), "k = t − 1");
    assert_eq!(outcome(&cells[6]), (Shown::Number(0.25), None), "k = t");
    assert_eq!(
        outcome(&cells[7]),
        hidden(Suppression::Share),
        "n − k = t − 1"
    );
    assert_eq!(outcome(&cells[8]), (Shown::Number(0.75), None), "n − k = t");
    assert_eq!(cells[7].value, Some(0.8), "the true share stays");
}

#[test]
fn statistics_hide_below_the_denominator_and_staff_never() {
    let mut fte = Cell::new(
        "0363",
        "wmo",
        "2026-Q3",
        "fte",
        None,
        Some(1.0),
        Kind::Staff,
    );
    fte.suppressed = Some(Suppression::Primary);
    let cells = applied(
        vec![
            statistic("leadtime_mean", Some(12.5), 4.0),
            statistic("leadtime_p50", Some(11.0), 5.0),
            fte,
            Cell::new(
                "0363",
                "wmo",
                "2026-Q3",
                "capaciteit",
                None,
                Some(3.0),
                Kind::Staff,
            ),
        ],
        LOCAL,
    );
    assert_eq!(
        outcome(&cells[0]),
        (Shown::Hidden, Some(Suppression::Denominator))
    );
    assert_eq!(outcome(&cells[1]), (Shown::Number(11.0), None));
    assert_eq!(
        outcome(&cells[2]),
        (Shown::Number(1.0), None),
        "staff: 1 fte is shown"
    );
    assert_eq!(outcome(&cells[3]), (Shown::Number(3.0), None));
}

#[test]
fn apply_leaves_verschil_cells_alone() {
    let mut v = Cell::new(
        "0363",
        "wmo",
        "2026-Q3",
        "meldingen_verschil",
        None,
        Some(2.0),
        Kind::Verschil,
    );
    v.shown = Shown::Hidden;
    v.suppressed = Some(Suppression::Secondary);
    let before = v.clone();
    let cells = applied(vec![v, count("meldingen", 2.0)], LOCAL);
    assert_eq!(cells[0], before);
    assert_eq!(cells[1].suppressed, Some(Suppression::Primary));
}

#[test]
fn apply_twice_is_apply_once() {
    let cells = group(
        "2026-Q3",
        "aanvragen",
        None,
        &[("a", 3.0), ("b", 10.0), ("c", 8.0)],
    );
    let once = applied(cells, NATIONAL);
    let twice = applied(once.clone(), NATIONAL);
    assert_eq!(once, twice);
}

#[test]
fn secondary_takes_the_smallest_shown_value_above_zero() {
    let cells = applied(
        group(
            "2026-Q3",
            "beschikkingen",
            None,
            &[("a", 3.0), ("b", 10.0), ("c", 8.0), ("d", 0.0), ("e", 9.0)],
        ),
        LOCAL,
    );
    let of = |code| outcome(find(&cells, "beschikkingen", Some(code)));
    assert_eq!(of(TOTAAL), (Shown::Number(30.0), None));
    assert_eq!(of("a"), (Shown::Below(5), Some(Suppression::Primary)));
    assert_eq!(of("c"), (Shown::Hidden, Some(Suppression::Secondary)));
    assert_eq!(of("b"), (Shown::Number(10.0), None));
    assert_eq!(
        of("d"),
        (Shown::Number(0.0), None),
        "zero is never the secondary"
    );
    assert_eq!(of("e"), (Shown::Number(9.0), None));
}

#[test]
fn secondary_ties_go_to_the_code_that_sorts_first_bytewise() {
    // Byte order: "Z" (0x5A) sorts before "a" (0x61); the order of the cells does not count.
    let cells = applied(
        group(
            "2026-Q3",
            "uitstroom",
            None,
            &[
                ("overleden", 8.0),
                ("verhuisd", 2.0),
                ("Zelf", 8.0),
                ("anders", 8.0),
            ],
        ),
        LOCAL,
    );
    let of = |code| find(&cells, "uitstroom", Some(code)).suppressed;
    assert_eq!(of("Zelf"), Some(Suppression::Secondary));
    assert_eq!(of("anders"), None);
    assert_eq!(of("overleden"), None);
    assert_eq!(of("verhuisd"), Some(Suppression::Primary));
}

#[test]
fn no_secondary_when_two_are_suppressed_already() {
    let cells = applied(
        group(
            "2026-Q3",
            "aanvragen",
            None,
            &[("a", 3.0), ("b", 2.0), ("c", 8.0)],
        ),
        LOCAL,
    );
    assert_eq!(find(&cells, "aanvragen", Some("c")).suppressed, None);
    let secondaries = cells
        .iter()
        .filter(|c| c.suppressed == Some(Suppression::Secondary))
        .count();
    assert_eq!(secondaries, 0);
}

#[test]
fn no_secondary_when_the_total_is_suppressed() {
    // The rule asks whether the total is shown, not whether the cells add up:
    // a total of 4 over categories 3 and 7 isolates that question.
    let cells = applied(
        group("2026-Q3", "aanvragen", Some(4.0), &[("a", 3.0), ("b", 7.0)]),
        LOCAL,
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some(TOTAAL))),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("b"))),
        (Shown::Number(7.0), None)
    );
    // The same group with a shown total does get its secondary.
    let cells = applied(
        group(
            "2026-Q3",
            "aanvragen",
            Some(10.0),
            &[("a", 3.0), ("b", 7.0)],
        ),
        LOCAL,
    );
    assert_eq!(
        find(&cells, "aanvragen", Some("b")).suppressed,
        Some(Suppression::Secondary)
    );
}

#[test]
fn no_secondary_without_a_total_or_a_candidate() {
    // leadtime_n has one cell per measure and no total: not a group.
    let mut cells: Vec<Cell> = group(
        "2026-Q3",
        "leadtime_n",
        None,
        &[("toewijzing", 3.0), ("besluit", 9.0)],
    );
    cells.remove(0);
    let cells = applied(cells, LOCAL);
    assert_eq!(find(&cells, "leadtime_n", Some("besluit")).suppressed, None);
    // A shown total with one suppressed category and only zeros besides.
    let cells = applied(
        group("2026-Q3", "aanvragen", Some(5.0), &[("a", 3.0), ("b", 0.0)]),
        LOCAL,
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("b"))),
        (Shown::Number(0.0), None)
    );
}

#[test]
fn groups_are_kept_apart_by_indicator_and_period() {
    let mut cells = group("2026-Q3", "aanvragen", None, &[("a", 3.0), ("b", 10.0)]);
    cells.extend(group(
        "2026-Q3",
        "beschikkingen",
        None,
        &[("a", 6.0), ("b", 7.0)],
    ));
    cells.extend(group(
        "2026-Q2",
        "aanvragen",
        None,
        &[("a", 6.0), ("b", 7.0)],
    ));
    let cells = applied(cells, LOCAL);
    assert_eq!(
        cells[2].suppressed,
        Some(Suppression::Secondary),
        "Q3 aanvragen b"
    );
    for c in &cells[3..] {
        assert_eq!(
            c.suppressed, None,
            "{} {} {:?}",
            c.quarter, c.indicator, c.category
        );
    }
}

#[test]
fn national_rounding_to_multiples_of_five() {
    let cells = applied(
        vec![
            count("a", 12.0),
            count("b", 13.0),
            count("c", 17.0),
            count("d", 10.0),
            count("e", 9.0),
            count("f", 18.0),
            count("g", 0.0),
            count("h", 22.0),
        ],
        NATIONAL,
    );
    let shown: Vec<Shown> = cells.iter().map(|c| c.shown).collect();
    assert_eq!(
        shown,
        [10.0, 15.0, 15.0, 10.0, -1.0, 20.0, 0.0, 20.0].map(|v| if v < 0.0 {
            Shown::Below(10)
        } else {
            Shown::Number(v)
        })
    );
    assert_eq!(cells[1].value, Some(13.0), "the true value is not rounded");
    assert_eq!(round_to_five(12.5), 15.0, "halves up");
    assert_eq!(round_to_five(7.5), 10.0);
}

#[test]
fn national_rounding_leaves_shares_statistics_and_staff() {
    let cells = applied(
        vec![
            share("afvangratio", 13.0, 40.0),
            statistic("leadtime_mean", Some(13.0), 12.0),
            Cell::new(
                "0363",
                "wmo",
                "2026-Q3",
                "capaciteit",
                None,
                Some(13.0),
                Kind::Staff,
            ),
        ],
        NATIONAL,
    );
    assert_eq!(cells[0].shown, Shown::Number(13.0 / 40.0));
    assert_eq!(cells[1].shown, Shown::Number(13.0));
    assert_eq!(cells[2].shown, Shown::Number(13.0));
}

#[test]
fn national_secondary_is_chosen_before_rounding() {
    // 12 and 11 both round to 10; unrounded, 11 ("b") is the smallest,
    // whereas rounding first would make it a tie that "a" wins.
    let cells = applied(
        group(
            "2026-Q3",
            "aanvragen",
            None,
            &[("a", 12.0), ("b", 11.0), ("c", 4.0)],
        ),
        NATIONAL,
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("b"))),
        (Shown::Hidden, Some(Suppression::Secondary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("a"))),
        (Shown::Number(10.0), None)
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("c"))),
        (Shown::Below(10), Some(Suppression::Primary))
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some(TOTAAL))),
        (Shown::Number(25.0), None),
        "27 → 25"
    );
}

/// The spec's rule leaves a gap: two suppressed cells that are both 1 (or both
/// t − 1) are fixed by the total. This pins what the rule does in that case.
#[test]
fn two_ones_are_left_as_they_are_though_the_total_fixes_them() {
    let cells = applied(
        group(
            "2026-Q3",
            "aanvragen",
            None,
            &[("a", 1.0), ("b", 1.0), ("c", 10.0)],
        ),
        LOCAL,
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some(TOTAAL))),
        (Shown::Number(12.0), None)
    );
    assert_eq!(
        outcome(find(&cells, "aanvragen", Some("c"))),
        (Shown::Number(10.0), None)
    );
    let published = Published::of(&cells, LOCAL.threshold).expect("total shown");
    assert_eq!(
        published.possible_values(),
        vec![vec![1], vec![1]],
        "a and b are both 1, and that can be read"
    );
}

fn q(c: Cell) -> Cell {
    Cell {
        quarter: "2026-Q3".into(),
        ..c
    }
}

fn b(c: Cell) -> Cell {
    Cell {
        quarter: "2025-Q3".into(),
        ..c
    }
}

#[test]
fn differences_of_shown_and_suppressed_cells() {
    let current = applied(
        vec![
            q(count("meldingen", 20.0)),
            q(count("doorgezet", 3.0)),
            q(count("afgevangen", 12.0)),
            q(count("toegewezen", 2.0)),
            q(statistic("leadtime_mean", Some(14.0), 9.0)),
            q(share("afvangratio", 12.0, 15.0)),
            Cell::new(
                "0363",
                "wmo",
                "2026-Q3",
                "fte",
                None,
                Some(4.0),
                Kind::Staff,
            ),
        ],
        LOCAL,
    );
    let baseline = applied(
        vec![
            b(count("toegewezen", 0.0)), // order differs from current
            b(count("meldingen", 26.0)),
            b(count("doorgezet", 9.0)),
            b(count("afgevangen", 4.0)),
            b(statistic("leadtime_mean", Some(16.5), 6.0)),
            b(share("afvangratio", 4.0, 13.0)),
            Cell::new(
                "0363",
                "wmo",
                "2025-Q3",
                "fte",
                None,
                Some(3.0),
                Kind::Staff,
            ),
        ],
        LOCAL,
    );
    // toegewezen: Q primary, B zero (shown).
    let d = differences(&current, &baseline, LOCAL);
    let names: Vec<&str> = d.iter().map(|c| c.indicator.as_str()).collect();
    assert_eq!(
        names,
        [
            "meldingen_verschil",
            "doorgezet_verschil",
            "afgevangen_verschil",
            "toegewezen_verschil",
            "leadtime_mean_verschil"
        ]
    );
    for c in &d {
        assert_eq!(
            (c.quarter.as_str(), c.kind, c.category.as_deref()),
            ("2026-Q3", Kind::Verschil, current_category(&current, c))
        );
    }
    assert_eq!(
        (d[0].value, outcome(&d[0])),
        (Some(-6.0), (Shown::Number(-6.0), None))
    );
    assert_eq!(
        (d[1].value, outcome(&d[1])),
        (Some(-6.0), (Shown::Hidden, Some(Suppression::Primary))),
        "Q suppressed"
    );
    assert_eq!(
        (d[2].value, outcome(&d[2])),
        (Some(8.0), (Shown::Hidden, Some(Suppression::Primary))),
        "B suppressed"
    );
    assert_eq!(
        (d[3].value, outcome(&d[3])),
        (Some(2.0), (Shown::Hidden, Some(Suppression::Primary)))
    );
    assert_eq!(
        (d[4].value, outcome(&d[4])),
        (Some(-2.5), (Shown::Number(-2.5), None))
    );
}

fn current_category<'a>(current: &'a [Cell], verschil: &Cell) -> Option<&'a str> {
    let base = verschil
        .indicator
        .strip_suffix("_verschil")
        .expect("suffix");
    current
        .iter()
        .find(|c| c.indicator == base && c.category == verschil.category)
        .and_then(|c| c.category.as_deref())
}

#[test]
fn differences_take_q_s_suppression_before_b_s() {
    let current = applied(vec![q(statistic("leadtime_p90", Some(30.0), 3.0))], LOCAL);
    let baseline = applied(
        group("2025-Q3", "aanvragen", None, &[("a", 3.0), ("b", 7.0)]),
        LOCAL,
    );
    let baseline_stat = applied(vec![b(statistic("leadtime_p90", Some(20.0), 12.0))], LOCAL);
    let d = differences(&current, &baseline_stat, LOCAL);
    assert_eq!(
        (d[0].value, outcome(&d[0])),
        (Some(10.0), (Shown::Hidden, Some(Suppression::Denominator)))
    );

    // Q: a = 9 secondary, b = 2 primary. B: a = 3 primary, b = 7 secondary.
    let current = applied(
        group("2026-Q3", "aanvragen", None, &[("a", 9.0), ("b", 2.0)]),
        LOCAL,
    );
    assert_eq!(
        find(&current, "aanvragen", Some("a")).suppressed,
        Some(Suppression::Secondary)
    );
    assert_eq!(
        find(&baseline, "aanvragen", Some("b")).suppressed,
        Some(Suppression::Secondary)
    );
    let d = differences(&current, &baseline, LOCAL);
    let db = find(&d, "aanvragen_verschil", Some("b"));
    assert_eq!(
        (db.value, outcome(db)),
        (Some(-5.0), (Shown::Hidden, Some(Suppression::Primary)))
    );
    let da = find(&d, "aanvragen_verschil", Some("a"));
    assert_eq!(
        (da.value, outcome(da)),
        (Some(6.0), (Shown::Hidden, Some(Suppression::Secondary)))
    );
    let dt = find(&d, "aanvragen_verschil", Some(TOTAAL));
    assert_eq!(
        (dt.value, outcome(dt)),
        (Some(1.0), (Shown::Number(1.0), None))
    );
}

#[test]
fn differences_without_a_baseline_partner() {
    let current = applied(
        vec![
            q(count("meldingen", 12.0)),
            q(count("zorg_gestart", 3.0)),
            q(statistic("leadtime_mean", Some(8.0), 7.0)),
            Cell::new(
                "0599",
                "wmo",
                "2026-Q3",
                "meldingen",
                None,
                Some(7.0),
                Kind::Count,
            ),
        ],
        LOCAL,
    );
    // The baseline knows only another gemeente's meldingen.
    let baseline = applied(
        vec![Cell::new(
            "0599",
            "wmo",
            "2025-Q3",
            "meldingen",
            None,
            Some(9.0),
            Kind::Count,
        )],
        LOCAL,
    );
    let d = differences(&current, &baseline, LOCAL);
    assert_eq!(d.len(), 4);
    assert_eq!(
        (d[0].value, outcome(&d[0])),
        (Some(12.0), (Shown::Number(12.0), None)),
        "B missing counts as 0"
    );
    assert_eq!(
        (d[1].value, outcome(&d[1])),
        (Some(3.0), (Shown::Hidden, Some(Suppression::Primary)))
    );
    assert_eq!(
        (d[2].value, outcome(&d[2])),
        (None, (Shown::Hidden, None)),
        "a statistic has nothing to compare with"
    );
    assert_eq!(
        (d[3].gemeente.as_str(), d[3].value),
        ("0599", Some(-2.0)),
        "matched within its own gemeente"
    );
}

#[test]
fn differences_of_undefined_statistics_have_no_value() {
    let current = applied(
        vec![q(statistic("wachtlijst_leeftijd_mean", None, 0.0))],
        LOCAL,
    );
    let baseline = applied(
        vec![b(statistic("wachtlijst_leeftijd_mean", Some(40.0), 8.0))],
        LOCAL,
    );
    let d = differences(&current, &baseline, LOCAL);
    assert_eq!(
        (d[0].value, outcome(&d[0])),
        (None, (Shown::Hidden, Some(Suppression::Denominator)))
    );
}

#[test]
fn national_differences_are_differences_of_the_shown_numbers() {
    let current = applied(
        vec![q(count("meldingen", 13.0)), q(count("doorgezet", 40.0))],
        NATIONAL,
    );
    let baseline = applied(
        vec![b(count("meldingen", 12.0)), b(count("doorgezet", 9.0))],
        NATIONAL,
    );
    let d = differences(&current, &baseline, NATIONAL);
    assert_eq!(
        (d[0].value, outcome(&d[0])),
        (Some(1.0), (Shown::Number(5.0), None)),
        "15 − 10 on paper"
    );
    assert_eq!(
        (d[1].value, outcome(&d[1])),
        (Some(31.0), (Shown::Hidden, Some(Suppression::Primary)))
    );
    // Locally the same counts give the true difference.
    let current = applied(vec![q(count("meldingen", 13.0))], LOCAL);
    let baseline = applied(vec![b(count("meldingen", 12.0))], LOCAL);
    assert_eq!(
        differences(&current, &baseline, LOCAL)[0].shown,
        Shown::Number(1.0)
    );
}

#[test]
fn serialization_of_cells() {
    let cells = applied(
        vec![
            count("meldingen", 12.0),
            count("doorgezet", 3.0),
            share("afvangratio", 1.0, 4.0),
        ],
        LOCAL,
    );
    let shown = serde_json::to_value(&cells[0]).unwrap();
    assert_eq!(
        shown,
        json!({"gemeente": "0363", "domein": "wmo", "quarter": "2026-Q3", "indicator": "meldingen",
               "category": null, "value": 12, "shown": 12, "suppressed": null})
    );
    assert!(
        shown["value"].is_u64() && shown["shown"].is_u64(),
        "whole numbers as integers: {shown}"
    );
    assert!(shown.get("kind").is_none());

    let below = serde_json::to_value(&cells[1]).unwrap();
    assert_eq!(
        (&below["value"], &below["shown"], &below["suppressed"]),
        (&json!(3), &json!("<5"), &json!("primary"))
    );

    let hidden = serde_json::to_value(&cells[2]).unwrap();
    assert_eq!(
        (&hidden["shown"], &hidden["suppressed"]),
        (&json!(null), &json!("denominator"))
    );
    assert!(hidden["value"].is_f64() && hidden["value"] == json!(0.25));

    let mut cell = count("meldingen", 2.0);
    for (reason, text) in [
        (Suppression::Primary, "primary"),
        (Suppression::Secondary, "secondary"),
        (Suppression::Denominator, "denominator"),
        (Suppression::Share, "share"),
    ] {
        cell.suppressed = Some(reason);
        assert_eq!(
            serde_json::to_value(&cell).unwrap()["suppressed"],
            json!(text)
        );
    }
    let undefined = statistic("leadtime_mean", None, 0.0);
    assert_eq!(
        serde_json::to_value(&undefined).unwrap()["value"],
        json!(null)
    );
}

/// What a reader of the report knows of one group: the shown total and, per
/// category, the shown number or the range a suppressed value can lie in.
struct Published {
    total: u32,
    /// Shown category numbers, summed.
    shown_sum: u32,
    /// Per suppressed category, its lowest and highest possible value.
    unknown: Vec<(u32, u32)>,
}

impl Published {
    /// None when the total is not shown: then there is nothing to recompute from.
    fn of(cells: &[Cell], t: u32) -> Option<Published> {
        let total = cells.iter().find(|c| matches!(c.kind, Kind::GroupTotal))?;
        let Shown::Number(total) = total.shown else {
            return None;
        };
        let total = total as u32;
        let mut shown_sum = 0;
        let mut unknown = Vec::new();
        for c in cells
            .iter()
            .filter(|c| matches!(c.kind, Kind::GroupCategory))
        {
            match (c.shown, c.suppressed) {
                (Shown::Number(v), None) => shown_sum += v as u32,
                (Shown::Below(below), Some(Suppression::Primary)) => {
                    assert_eq!(below, t);
                    unknown.push((1, t - 1));
                }
                (Shown::Hidden, Some(Suppression::Secondary)) => unknown.push((1, total)),
                other => panic!("unexpected category cell {other:?}"),
            }
        }
        Some(Published {
            total,
            shown_sum,
            unknown,
        })
    }

    /// Per suppressed category (in order), every value it takes in some
    /// assignment of values to all suppressed categories that is consistent
    /// with what is published. Exhaustive: for each value of one cell, whether
    /// the others can make up the rest (the sums they can reach, built up one
    /// cell at a time over all their values).
    fn possible_values(&self) -> Vec<Vec<u32>> {
        let rest = self
            .total
            .checked_sub(self.shown_sum)
            .expect("shown cells exceed the total") as usize;
        (0..self.unknown.len())
            .map(|i| {
                let mut reachable = vec![false; rest + 1];
                reachable[0] = true;
                for (j, &(lo, hi)) in self.unknown.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    let mut next = vec![false; rest + 1];
                    for (s, _) in reachable.iter().enumerate().filter(|(_, r)| **r) {
                        for v in lo..=hi {
                            if s + v as usize <= rest {
                                next[s + v as usize] = true;
                            }
                        }
                    }
                    reachable = next;
                }
                let (lo, hi) = self.unknown[i];
                (lo..=hi)
                    .filter(|&v| v as usize <= rest && reachable[rest - v as usize])
                    .collect()
            })
            .collect()
    }
}

/// A group: threshold t and 2..=8 category values, zeros, small and large
/// mixed. Values stay ≤ 20, so a total is ≤ 160 and the search is small.
fn random_group() -> impl Strategy<Value = (u32, Vec<u32>)> {
    (2u32..=12).prop_flat_map(|t| {
        let value = prop_oneof![1 => Just(0u32), 3 => 1..t, 3 => t..=(t + 8)];
        (Just(t), proptest::collection::vec(value, 2..=8))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The property of §3.5: from the published total and shown cells, no
    /// suppressed category value can be recomputed (at least two values fit),
    /// checked exhaustively. The spec's rule leaves exactly these cases, which
    /// the property asserts are the only ones where a value can be read:
    /// t = 2 (`"<2"` means 1), and two or more primary cells with no secondary
    /// that are all 1 or all t − 1 (the total then fixes each of them).
    #[test]
    fn suppressed_categories_cannot_be_recomputed((t, values) in random_group()) {
        let codes: Vec<String> = (0..values.len()).map(|i| format!("c{i}")).collect();
        let categories: Vec<(&str, f64)> =
            codes.iter().zip(&values).map(|(c, v)| (c.as_str(), f64::from(*v))).collect();
        let rules = Rules { threshold: t, national: false };
        let cells = applied(group("2026-Q3", "aanvragen", None, &categories), rules);
        let Some(published) = Published::of(&cells, t) else {
            // The total is suppressed: nothing is published to subtract from.
            prop_assert!(values.iter().sum::<u32>() < t);
            return Ok(());
        };

        let possible = published.possible_values();
        let suppressed: Vec<u32> = cells[1..].iter().zip(&values)
            .filter(|(c, _)| c.suppressed.is_some()).map(|(_, v)| *v).collect();
        prop_assert_eq!(possible.len(), suppressed.len());
        for (set, truth) in possible.iter().zip(&suppressed) {
            prop_assert!(set.contains(truth), "the true value {} must fit what is published: {:?}", truth, set);
        }
        prop_assert!(suppressed.len() != 1, "one suppressed category alone is its total minus the rest");

        let primary: Vec<u32> = values.iter().copied().filter(|&v| v >= 1 && v < t).collect();
        let gap = !primary.is_empty()
            && (t == 2 || (primary.len() >= 2 && (primary.iter().all(|&v| v == 1) || primary.iter().all(|&v| v == t - 1))));
        let readable = possible.iter().any(|set| set.len() < 2);
        prop_assert_eq!(readable, gap, "t {} values {:?} possible {:?}", t, values, possible);
    }
}
