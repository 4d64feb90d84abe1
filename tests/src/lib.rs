pub mod app;
pub mod brevo;
pub mod kannel;
pub mod spreadsheet;

pub mod mail;
pub mod smtp_server;
