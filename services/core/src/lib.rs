//! caseflow's pure domain core: the event contract of spec §2, validation, and
//! every read model of spec §3 as a deterministic fold over events. No I/O, no
//! async: the store and the Kafka source call into this crate.

pub mod access;
pub mod config;
pub mod dims;
pub mod disclosure;
pub mod event;
pub mod fact;
pub mod leadtime;
pub mod model;
pub mod monitor;
pub mod overdue_po;
pub mod params;
pub mod period;
pub mod terms;
pub mod throughput;
pub mod workload;

pub use event::{Event, EventData, EventType, ValidationError};
