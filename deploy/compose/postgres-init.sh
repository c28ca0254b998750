#!/bin/sh
# First start of the compose PostgreSQL: the rectify role, database and schema, as
# deploy/bootstrap.sql does, with the password from RECTIFY_DB_PASSWORD. Temporal's own
# databases are created by temporalio/auto-setup.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$RECTIFY_DB_PASSWORD" --username "$POSTGRES_USER" <<'SQL'
CREATE ROLE rectify LOGIN PASSWORD :'pw';
CREATE DATABASE rectify OWNER rectify;
\connect rectify
CREATE SCHEMA IF NOT EXISTS rectify AUTHORIZATION rectify;
SQL
