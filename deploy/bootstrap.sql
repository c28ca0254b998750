-- One-time set-up of a PostgreSQL server for Rectify (run as a superuser).
-- The processes create their own tables inside the schema at start.
CREATE ROLE rectify LOGIN PASSWORD 'change-me';
CREATE DATABASE rectify OWNER rectify;
\connect rectify
CREATE SCHEMA IF NOT EXISTS rectify AUTHORIZATION rectify;
