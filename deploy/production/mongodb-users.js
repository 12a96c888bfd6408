// One MongoDB user per service, allowed only into its own database, plus the operator's.
// Run once per environment as a user with userAdminAnyDatabase, passwords from the environment:
//
//   PARKGRID_MONGO_PASSWORD_CATALOGUE=... PARKGRID_MONGO_PASSWORD_BOOKINGS=... \
//   PARKGRID_MONGO_PASSWORD_SPACES=... PARKGRID_MONGO_PASSWORD_COMMUNITY=... \
//   PARKGRID_MONGO_PASSWORD_FRONTDESK=... PARKGRID_MONGO_PASSWORD_INSIGHTS=... PARKGRID_MONGO_PASSWORD_PARKGRID_OPS=... \
//   mongosh "$MONGODB_ADMIN_URI" --file deploy/production/mongodb-users.js
//
// Idempotent: an existing user gets its password and roles reset to these. Each service then
// connects with MONGODB_URI=mongodb://<service>:<password>@<hosts>/?replicaSet=...&authSource=admin
// and PARKGRID_DATABASE left unset (parkgrid_<service>). The services (deploy/local/services.tsv)
// are listed here; tests/reliability/test_reliability_hardening.py fails when one is missing.

const SERVICES = ["frontdesk", "catalogue", "bookings", "spaces", "community", "insights", "billing"];
const OPS_USER = "parkgrid-ops";

function passwordOf(user) {
  const variable = "PARKGRID_MONGO_PASSWORD_" + user.toUpperCase().replace(/[-.]/g, "_");
  const value = process.env[variable];
  if (!value || value.length < 16) {
    throw new Error(variable + " must be set to a secret of at least 16 characters");
  }
  return value;
}

function ensureUser(user, roles) {
  const admin = db.getSiblingDB("admin");
  const pwd = passwordOf(user);
  if (admin.getUser(user) === null) {
    admin.createUser({ user: user, pwd: pwd, roles: roles, mechanisms: ["SCRAM-SHA-256"] });
    print("created " + user);
  } else {
    admin.updateUser(user, { pwd: pwd, roles: roles, mechanisms: ["SCRAM-SHA-256"] });
    print("updated " + user);
  }
}

// A service reads and writes its own database (aggregates, outbox, projections, idempotency
// records, indexes it creates at start): readWrite covers createIndex. Nothing else.
for (const service of SERVICES) {
  ensureUser(service, [{ role: "readWrite", db: "parkgrid_" + service }]);
}

// The operator's jobs: `parkgrid seed` writes through every service's code, `parkgrid rebuild`
// drops and refills projections. No user administration, no access to `admin` or `local`.
ensureUser(
  OPS_USER,
  SERVICES.map((service) => ({ role: "readWrite", db: "parkgrid_" + service })),
);
