//! Norms and parameters, configurable per gemeente (spec §3: "Norms and
//! parameters are configurable per gemeente; the defaults are given here").
//!
//! Every parameter is applied at query time, so changing one needs no rebuild.
//! A config file is JSON:
//!
//! ```json
//! { "default": { "po_grace_days": 14 },
//!   "gemeenten": { "GM0935": { "po_grace_days": 21, "werkweek_uren": 32 } } }
//! ```
//! Missing keys fall back to the file's `default`, then to the spec's defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::{Domein, Dossiertype};

/// The parameters of one gemeente.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Wmo: investigation within this many days of the melding (`onderzoek`).
    pub norm_onderzoek_wmo_dagen: f64,
    /// Wmo: beschikking within this many days of the aanvraag (`besluit`).
    pub norm_besluit_wmo_dagen: f64,
    /// Jeugdwet: beschikking within this many days of the aanvraag (general administrative law).
    pub norm_besluit_jeugd_dagen: f64,
    /// Norm hours per dossiertype.
    pub normuren_nieuw: f64,
    pub normuren_bestaand: f64,
    pub normuren_mutatie: f64,
    pub normuren_periodiek_onderzoek: f64,
    /// Capacity model: working week, productivity and mean norm time per dossier.
    pub werkweek_uren: f64,
    pub productiviteit: f64,
    pub gemiddelde_normtijd_uren: f64,
    /// Overdue PO: days after a cycle start before "no PO planned" is raised.
    pub po_grace_days: f64,
    /// Overdue PO: the longest allowed interval from cycle start to planned PO, in years.
    pub po_max_interval_jaren: u32,
    /// The council monitor's disclosure threshold t (spec §3.5): counts 1 ..= t − 1
    /// are shown as `<t`. At least 2.
    pub monitor_drempel: u32,
    /// Legal-term early warning (spec §3.6): `termijn_nadert` this many days
    /// (exact) before a Wmo term's deadline. 0 ..= [`MAX_WARNING_DAYS`].
    pub termijn_waarschuwing_wmo_dagen: f64,
    /// The same for a Jeugd term.
    pub termijn_waarschuwing_jeugd_dagen: f64,
}

/// The longest warning window: a window longer than the terms themselves would
/// warn from the first day, which is a mistake, not a policy.
pub const MAX_WARNING_DAYS: f64 = 56.0;

impl Default for Params {
    fn default() -> Self {
        Params {
            norm_onderzoek_wmo_dagen: 42.0,
            norm_besluit_wmo_dagen: 14.0,
            norm_besluit_jeugd_dagen: 56.0,
            normuren_nieuw: 6.0,
            normuren_bestaand: 4.0,
            normuren_mutatie: 2.0,
            normuren_periodiek_onderzoek: 4.0,
            werkweek_uren: 36.0,
            productiviteit: 0.75,
            gemiddelde_normtijd_uren: 4.0,
            po_grace_days: 14.0,
            po_max_interval_jaren: 3,
            monitor_drempel: 5,
            termijn_waarschuwing_wmo_dagen: 5.0,
            termijn_waarschuwing_jeugd_dagen: 5.0,
        }
    }
}

impl Params {
    /// The norm of a lead-time measure in days, if it has one (spec §3.2).
    pub fn norm(&self, measure: &str, domein: Domein) -> Option<f64> {
        match (measure, domein) {
            ("onderzoek", Domein::Wmo) => Some(self.norm_onderzoek_wmo_dagen),
            ("besluit", Domein::Wmo) => Some(self.norm_besluit_wmo_dagen),
            ("besluit", Domein::Jeugd) => Some(self.norm_besluit_jeugd_dagen),
            _ => None,
        }
    }

    /// The warning window of a legal term in this domein, in days (spec §3.6).
    pub fn warning_window(&self, domein: Domein) -> f64 {
        match domein {
            Domein::Wmo => self.termijn_waarschuwing_wmo_dagen,
            Domein::Jeugd => self.termijn_waarschuwing_jeugd_dagen,
        }
    }

    pub fn normuren(&self, d: Dossiertype) -> f64 {
        match d {
            Dossiertype::Nieuw => self.normuren_nieuw,
            Dossiertype::Bestaand => self.normuren_bestaand,
            Dossiertype::Mutatie => self.normuren_mutatie,
            Dossiertype::PeriodiekOnderzoek => self.normuren_periodiek_onderzoek,
        }
    }

    /// Dossiers one FTE takes a week: werkweek × productiviteit / gemiddelde normtijd.
    pub fn capaciteit(&self) -> f64 {
        self.werkweek_uren * self.productiviteit / self.gemiddelde_normtijd_uren
    }
}

/// Parameters for every gemeente: a default and per-gemeente overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Config {
    pub default: Params,
    pub gemeenten: BTreeMap<String, Params>,
}

#[derive(Debug, thiserror::Error)]
#[error("config file: {0}")]
pub struct ConfigError(String);

impl Config {
    pub fn params(&self, gemeente: &str) -> &Params {
        self.gemeenten.get(gemeente).unwrap_or(&self.default)
    }

    /// Parse a JSON config file's text. Unknown keys are errors, so a typo in a
    /// parameter name is reported instead of silently ignored.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        let obj = v.as_object().ok_or_else(|| {
            ConfigError("expected a JSON object with `default` and/or `gemeenten`".into())
        })?;
        if let Some(k) = obj.keys().find(|k| *k != "default" && *k != "gemeenten") {
            return Err(ConfigError(format!(
                "unknown key `{k}`; accepted: default, gemeenten"
            )));
        }
        let base = serde_json::to_value(Params::default()).expect("serializes");
        let merge = |over: &serde_json::Value,
                     base: &serde_json::Value,
                     what: &str|
         -> Result<Params, ConfigError> {
            let mut m = base.as_object().expect("object").clone();
            let o = over
                .as_object()
                .ok_or_else(|| ConfigError(format!("{what}: expected an object")))?;
            for (k, v) in o {
                if !m.contains_key(k) {
                    return Err(ConfigError(format!(
                        "{what}: unknown parameter `{k}`; accepted: {}",
                        m.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
                m.insert(k.clone(), v.clone());
            }
            serde_json::from_value(serde_json::Value::Object(m))
                .map_err(|e| ConfigError(format!("{what}: {e}")))
        };
        let default = match obj.get("default") {
            Some(d) => merge(d, &base, "default")?,
            None => Params::default(),
        };
        let default_value = serde_json::to_value(&default).expect("serializes");
        let mut gemeenten = BTreeMap::new();
        if let Some(g) = obj.get("gemeenten") {
            let g = g.as_object().ok_or_else(|| {
                ConfigError("gemeenten: expected an object keyed by CBS code".into())
            })?;
            for (code, over) in g {
                if !(code.len() == 6
                    && code.starts_with("GM")
                    && code[2..].bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(ConfigError(format!(
                        "gemeenten: `{code}` is not a CBS code (GM + 4 digits)"
                    )));
                }
                gemeenten.insert(code.clone(), merge(over, &default_value, code)?);
            }
        }
        for (what, p) in std::iter::once(("default", &default)).chain(gemeenten.iter().map(|(k, p)| (k.as_str(), p))) {
            if p.monitor_drempel < 2 {
                return Err(ConfigError(format!("{what}: monitor_drempel must be at least 2 (a threshold of 1 suppresses nothing)")));
            }
            for (name, v) in [("termijn_waarschuwing_wmo_dagen", p.termijn_waarschuwing_wmo_dagen), ("termijn_waarschuwing_jeugd_dagen", p.termijn_waarschuwing_jeugd_dagen)] {
                if !(0.0..=MAX_WARNING_DAYS).contains(&v) {
                    return Err(ConfigError(format!("{what}: {name} must be between 0 and {MAX_WARNING_DAYS} days; {v} was given")));
                }
            }
        }
        Ok(Config { default, gemeenten })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec() {
        let p = Params::default();
        assert_eq!(p.capaciteit(), 6.75);
        assert_eq!(p.norm("onderzoek", Domein::Wmo), Some(42.0));
        assert_eq!(p.norm("onderzoek", Domein::Jeugd), None);
        assert_eq!(p.norm("besluit", Domein::Jeugd), Some(56.0));
        assert_eq!(p.norm("doorlooptijd", Domein::Wmo), None);
        assert_eq!(p.normuren(Dossiertype::Mutatie), 2.0);
    }

    #[test]
    fn overrides_layer_over_defaults() {
        let c = Config::from_json(
            r#"{"default": {"po_grace_days": 21}, "gemeenten": {"GM0935": {"werkweek_uren": 32}}}"#,
        )
        .unwrap();
        assert_eq!(c.params("GM0363").po_grace_days, 21.0);
        assert_eq!(c.params("GM0935").po_grace_days, 21.0);
        assert_eq!(c.params("GM0935").werkweek_uren, 32.0);
        assert_eq!(c.params("GM0363").werkweek_uren, 36.0);
        let e = Config::from_json(r#"{"gemeenten": {"GM0935": {"werkweek": 32}}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `werkweek`"), "{e}");
        assert!(Config::from_json(r#"{"gemeenten": {"Maastricht": {}}}"#).is_err());
        assert!(Config::from_json(r#"{"defaults": {}}"#).is_err());
    }

    #[test]
    fn warning_window_per_gemeente_and_domein_is_bounded() {
        let c = Config::from_json(r#"{"default": {"termijn_waarschuwing_jeugd_dagen": 10}, "gemeenten": {"GM0935": {"termijn_waarschuwing_wmo_dagen": 0}}}"#).unwrap();
        assert_eq!(c.params("GM0363").warning_window(Domein::Wmo), 5.0);
        assert_eq!(c.params("GM0363").warning_window(Domein::Jeugd), 10.0);
        assert_eq!(c.params("GM0935").warning_window(Domein::Wmo), 0.0);
        assert_eq!(c.params("GM0935").warning_window(Domein::Jeugd), 10.0);
        for bad in ["-1", "56.5", "400"] {
            let e = Config::from_json(&format!(r#"{{"gemeenten": {{"GM0935": {{"termijn_waarschuwing_wmo_dagen": {bad}}}}}}}"#)).unwrap_err().to_string();
            assert!(e.contains("termijn_waarschuwing_wmo_dagen must be between 0 and 56"), "{e}");
        }
        assert!(Config::from_json(r#"{"default": {"termijn_waarschuwing_jeugd_dagen": 56}}"#).is_ok());
    }
}
