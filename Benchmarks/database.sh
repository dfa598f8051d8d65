# Shared by the benchmarks that need the private PostgreSQL (sourced; expects $bin, the built resume-ingest).
# Starts the cluster and sets $admin (superuser URL) and $engine (the engine's URL).
scripts/pg start
admin="$(scripts/pg admin-url)"
engine="$(scripts/pg url)"

fresh() { # fresh NAME: an empty database owned by the engine's role, migrated; prints its URL
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 OWNER resume_ingest" >/dev/null 2>&1
    local url="${engine%/*}/$1"
    "$bin" migrate --database-url "$url" --log-level warning >/dev/null
    echo "$url"
}
