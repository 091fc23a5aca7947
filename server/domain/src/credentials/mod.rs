//! Credentials as pure values: nothing here touches the database or the network.

pub mod app_passwords;
pub mod device_token;
pub mod otp;
pub mod otp_params;
pub mod passwords;
pub mod recovery_codes;
pub mod remembered_device;
pub mod secret_box;
pub mod security_key;
