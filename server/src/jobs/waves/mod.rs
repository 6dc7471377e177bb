//! Waves: division IT's phased migrations. Who is in one comes from a CSV file ([`import`]); the
//! copies start largest first on the wave's slots ([`plan`]), and the finish is estimated from bytes
//! left and the throughput measured on the old server ([`estimate`], [`measured`]); these are pure. Waves and
//! their people are kept by [`store`]; [`preview`] plans a wave from what is stored.
pub mod estimate;
pub mod import;
pub mod measured;
pub mod plan;
pub mod preview;
pub mod report;
pub mod store;
