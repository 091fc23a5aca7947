//! Everything between the socket and a handler: the router, the layers around the routes, the
//! pages kept in memory, static files and the health check.

pub mod health;
pub mod middleware;
pub mod page_cache;
pub mod router;
mod static_files;
