//! What every token request reads and an operator rarely changes: the registered client and the
//! key that signs. Each instance keeps them for a second, so a code exchange reads neither from
//! the database; a change made elsewhere (`server oidc client delete`, `server oidc rotate-key`,
//! another instance) shows within that second, as the operator commands' other changes do
//! (`storage::identities`). Only those commands change either. An unknown client id is not kept: a flood of made-up ids cannot
//! fill the memory, and a client just added works at once.

use super::{clients::Client, signing_key::SigningKey};
use moka::sync::Cache;
use std::{sync::Arc, time::Duration};

const TTL: Duration = Duration::from_secs(1);
const CLIENTS: u64 = 1_000;

#[derive(Clone)]
pub struct ReadCache {
    clients: Cache<String, Arc<Client>>,
    signing_key: Cache<(), Arc<SigningKey>>,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self {
            clients: Cache::builder().max_capacity(CLIENTS).time_to_live(TTL).build(),
            signing_key: Cache::builder().max_capacity(1).time_to_live(TTL).build(),
        }
    }
}

impl ReadCache {
    pub fn client(&self, client_id: &str) -> Option<Arc<Client>> {
        self.clients.get(client_id)
    }

    pub fn keep_client(&self, client: Arc<Client>) {
        self.clients.insert(client.client_id.clone(), client);
    }

    pub fn signing_key(&self) -> Option<Arc<SigningKey>> {
        self.signing_key.get(&())
    }

    pub fn keep_signing_key(&self, key: Arc<SigningKey>) {
        self.signing_key.insert((), key);
    }
}
