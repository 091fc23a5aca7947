//! What a code or a token stands for (its own module: the grants' storage and the access cache
//! both speak of it).

/// What a code or a token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: i64,
    pub scope: String,
    pub auth_time: i64,
    /// Space-separated `amr` values.
    pub amr: String,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}
