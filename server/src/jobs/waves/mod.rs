//! Waves: division IT's phased migrations. Who is in one comes from a CSV file ([`import`]); the
//! copies start largest first on the wave's slots ([`plan`]), and the finish is estimated from bytes
//! left and the throughput measured on the old server ([`estimate`], [`measured`]); these are pure. Waves and
//! their people are kept by [`store`]; [`preview`] plans a wave from what is stored. IT starts, pauses and
//! resumes a wave ([`lifecycle`]); while it runs, its schedule ([`turns`], pure, applied by
//! [`conductor`]) holds its requests until their turn and inside its window; an IT-run wave gets its
//! people's accounts, scans and requests from [`enrol`]. While it runs, [`dashboard`] samples its
//! progress and reads where it stands, decided by [`standing`] (pure). What a wave tells its people
//! and when is [`comms`] (pure), sent once each by [`outreach`].
pub mod comms;
pub mod conductor;
pub mod dashboard;
pub mod enrol;
pub mod estimate;
pub mod import;
pub mod lifecycle;
pub mod measured;
pub mod outreach;
pub mod plan;
pub mod preview;
pub mod report;
pub mod standing;
pub mod store;
pub mod turns;
