pub mod app;

pub mod mail;
pub mod smtp_server;
