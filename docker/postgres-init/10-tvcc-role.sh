#!/bin/sh
# Run once by the official postgres image, when it initialises an empty data
# volume (/docker-entrypoint-initdb.d, as the superuser POSTGRES_USER).
#
# The image makes POSTGRES_USER a superuser: that account stays the
# operator's (backups, upgrades). trytond, its cron and worker and the
# telephony bridge connect as TVCC_DB_ROLE, created here: LOGIN only (no
# superuser, no CREATEDB, no CREATEROLE, no replication), owner of the
# database TVCC_DB_NAME and of its public schema, its password read from
# TVCC_DB_PASSWORD_FILE (a Docker secret). A password in a file never
# reaches a command line or the environment.
set -eu

role="${TVCC_DB_ROLE:-tvcc}"
database="${TVCC_DB_NAME:-tvcc}"
password_file="${TVCC_DB_PASSWORD_FILE:-/run/secrets/tvcc_db_password}"

for name in "$role" "$database"; do
    case "$name" in
        ''|[!a-z_]*|*[!a-z0-9_]*)
            echo "10-tvcc-role.sh: '$name' is not a plain lower-case name" >&2
            exit 1;;
    esac
done
if [ "$role" = "${POSTGRES_USER:-postgres}" ]; then
    echo "10-tvcc-role.sh: TVCC_DB_ROLE must not be the superuser" \
        "POSTGRES_USER ($role)" >&2
    exit 1
fi
if [ ! -s "$password_file" ]; then
    echo "10-tvcc-role.sh: no password in $password_file" >&2
    exit 1
fi
# The first line, without its line break, quoted for psql's \set ('' for
# a quote, \\ for a backslash).
password="$(head -n 1 "$password_file" | tr -d '\r\n')"
quoted="$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"

# psql's variables quote the values (:"name" an identifier, :'value' a
# literal); the password goes through standard input, not arguments.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
    --dbname postgres -v role="$role" -v database="$database" <<EOSQL
\\set password '$quoted'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS PASSWORD :'password';
\\unset password
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"role";
\\connect :database
ALTER SCHEMA public OWNER TO :"role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- trytond uses pg_trgm for similarity searches; creating an extension
-- needs the superuser, so it is made here once.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
EOSQL
echo "10-tvcc-role.sh: role $role (no superuser) owns database $database"
