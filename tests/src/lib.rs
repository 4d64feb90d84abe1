pub mod app;
pub mod kannel;

pub mod mail;
pub mod smtp_server;
