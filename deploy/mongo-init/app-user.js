// Creates jobtracker's application user on the first start of an empty MongoDB volume (the
// image runs /docker-entrypoint-initdb.d/*.js once, before authentication is turned on).
// The user may read and write the jobtracker database only; the crawls, the scheduler and the
// research commands connect as it (MONGO_URI in deploy/docker-compose.yml). Names and the
// password come from the environment, never from this file.
const user = process.env.MONGO_APP_USERNAME;
const pwd = process.env.MONGO_APP_PASSWORD;
const database = process.env.MONGO_APP_DATABASE || "jobtracker";
if (!user || !pwd) {
  throw new Error("set MONGO_APP_USERNAME and MONGO_APP_PASSWORD");
}
db.getSiblingDB("admin").createUser({
  user: user,
  pwd: pwd,
  roles: [{ role: "readWrite", db: database }],
});
