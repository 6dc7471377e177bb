//! Waves: division IT's phased migrations. Who is in one comes from a CSV file ([`import`]); the
//! copies start largest first on the wave's slots ([`plan`]), and the finish is estimated from bytes
//! left and the throughput measured on the old server ([`estimate`]); these three are pure. Waves and
//! their people are kept by [`store`].
pub mod estimate;
pub mod import;
pub mod plan;
pub mod store;
