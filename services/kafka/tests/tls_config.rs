//! The Kafka security settings the README and deploy/ show (`-X KEY=VALUE`,
//! env CASEFLOW_KAFKA_PROPERTIES) are accepted by this build's librdkafka:
//! SASL_SSL and SSL need it built with OpenSSL (the `ssl` feature of rdkafka),
//! without which creating any client fails with "OpenSSL not available at
//! build time". No broker is contacted: a client is only created.

use caseflow_kafka::{dlq_producer, Config};

fn config(properties: &[(&str, &str)]) -> Config {
    Config {
        properties: properties.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Config::new("127.0.0.1:1")
    }
}

#[test]
fn sasl_ssl_and_ssl_settings_create_a_client() {
    let sasl_ssl = [
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanisms", "SCRAM-SHA-512"),
        ("sasl.username", "caseflow"),
        ("sasl.password", "secret"),
    ];
    dlq_producer(&config(&sasl_ssl)).expect("SASL_SSL with SCRAM is available");
    // Mutual TLS: a client certificate instead of SASL.
    dlq_producer(&config(&[("security.protocol", "SSL")])).expect("SSL is available");
}

#[test]
fn a_setting_librdkafka_does_not_know_is_refused_at_start() {
    let Err(e) = dlq_producer(&config(&[("security.protocol", "SASL_TLS")])) else {
        panic!("SASL_TLS is not a protocol, yet a client was created");
    };
    assert!(e.to_string().contains("security.protocol"), "{e}");
}
