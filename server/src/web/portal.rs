//! The body's implementation of the face's `Portal` port.
use app::dto::Person;
use app::error::AppError;
use sea_orm::DatabaseConnection;

pub struct DbPortal {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl app::port::Portal for DbPortal {
    async fn people(&self, filter: &str, limit: u64) -> Result<Vec<Person>, AppError> {
        crate::db::people::search(&self.db, filter, limit)
            .await
            .map_err(internal)
    }
}

fn internal(e: sea_orm::DbErr) -> AppError {
    tracing::error!(error = %e, "database error in a server function");
    AppError::Internal("the database did not answer".into())
}
