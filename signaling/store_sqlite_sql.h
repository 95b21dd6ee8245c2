/* store_sqlite_sql: the SQL text of the SQLite backend: the schema migrations (applied in
 * order, the count kept in PRAGMA user_version) and every statement the backend prepares once
 * per connection. Parameters are always bound (?N), never spliced into the text.
 * Included by store_sqlite.c only. */
#ifndef SIGNALING_STORE_SQLITE_SQL_H
#define SIGNALING_STORE_SQLITE_SQL_H
#include "signaling/store_sqlite.h"   /* enum sq_id */

/* Migration i takes the schema from version i to i+1. Append only: never edit one that has
 * shipped. Text limits live in C (store.h), not in CHECKs, so they can change without a
 * migration; CHECKs hold only what can never change (enum names, rating range, JSON). */
static const char *const sq_migrations[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('agent','interpreter','supervisor','admin')),"
	"  password_hash TEXT NOT NULL,"
	"  languages TEXT NOT NULL DEFAULT '',"
	"  skills TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	"  removed_ms INTEGER"
	") STRICT;"
	"CREATE UNIQUE INDEX accounts_live_username ON accounts(username)"
	"  WHERE removed_ms IS NULL;"
	"CREATE TABLE customer_sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
	"  name TEXT NOT NULL DEFAULT '',"
	"  language TEXT NOT NULL DEFAULT '',"
	"  topic TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE chat_messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  session_id INTEGER NOT NULL REFERENCES customer_sessions(id),"
	"  sender_role TEXT NOT NULL CHECK (sender_role IN"
	"    ('customer','agent','interpreter','supervisor','system')),"
	"  sender_name TEXT NOT NULL DEFAULT '',"
	"  text TEXT NOT NULL,"
	"  time_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX chat_by_session ON chat_messages(session_id, id);"
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  session_id INTEGER NOT NULL REFERENCES customer_sessions(id),"
	"  topic TEXT NOT NULL DEFAULT '',"
	"  language TEXT NOT NULL DEFAULT '',"
	"  queued_ms INTEGER NOT NULL,"
	"  offered_ms INTEGER,"
	"  answered_ms INTEGER,"
	"  ended_ms INTEGER,"
	"  agent_id INTEGER REFERENCES accounts(id),"
	"  outcome TEXT,"
	"  notes TEXT,"
	"  survey_rating INTEGER CHECK (survey_rating BETWEEN 1 AND 5),"
	"  survey_comment TEXT"
	") STRICT;"
	"CREATE INDEX contacts_by_session ON contacts(session_id, id);"
	"CREATE INDEX contacts_by_agent ON contacts(agent_id);"
	"CREATE TABLE contact_offers ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  agent_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  offered_ms INTEGER NOT NULL,"
	"  result TEXT CHECK (result IN ('accepted','declined','timeout')),"
	"  resolved_ms INTEGER"
	") STRICT;"
	"CREATE INDEX offers_by_contact ON contact_offers(contact_id, id);"
	"CREATE INDEX offers_by_agent ON contact_offers(agent_id);"
	"CREATE TABLE interpreter_legs ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  interpreter_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  languages TEXT NOT NULL,"
	"  joined_ms INTEGER NOT NULL,"
	"  left_ms INTEGER,"
	"  modes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(modes))"
	") STRICT;"
	"CREATE INDEX interp_by_contact ON interpreter_legs(contact_id, id);"
	"CREATE INDEX interp_by_interpreter ON interpreter_legs(interpreter_id);"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time_ms INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT ''"
	") STRICT;",
};

#define SQ_ACC_COLS "SELECT id, username, role, languages, skills, created_ms, disabled, " \
	"password_hash FROM accounts WHERE removed_ms IS NULL"
#define SQ_CUST_COLS "SELECT id, token_hash, name, language, topic, created_ms, last_seen_ms " \
	"FROM customer_sessions"
#define SQ_CONTACT_COLS "SELECT c.id, c.session_id, c.topic, c.language, c.queued_ms, " \
	"c.offered_ms, c.answered_ms, c.ended_ms, c.agent_id, a.username, c.outcome, c.notes, " \
	"c.survey_rating, c.survey_comment FROM contacts c LEFT JOIN accounts a ON a.id = c.agent_id"

static const char *const sq_sql[SQ_COUNT] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ACC_INSERT] = "INSERT INTO accounts (username, role, password_hash, languages, skills,"
		" created_ms, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SQ_ACC_BY_NAME] = SQ_ACC_COLS " AND username = ?1",
	[SQ_ACC_BY_ID] = SQ_ACC_COLS " AND id = ?1",
	[SQ_ACC_LIST] = SQ_ACC_COLS " ORDER BY username",
	[SQ_ACC_REMOVE] = "UPDATE accounts SET removed_ms = ?2, password_hash = ''"
		" WHERE username = ?1 AND removed_ms IS NULL",
	[SQ_ACC_DISABLE] = "UPDATE accounts SET disabled = ?2"
		" WHERE username = ?1 AND removed_ms IS NULL",
	[SQ_CUST_INSERT] = "INSERT INTO customer_sessions (token_hash, name, language, topic,"
		" created_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_CUST_BY_HASH] = SQ_CUST_COLS " WHERE token_hash = ?1",
	[SQ_CUST_BY_ID] = SQ_CUST_COLS " WHERE id = ?1",
	[SQ_CUST_TOUCH] = "UPDATE customer_sessions SET last_seen_ms = max(last_seen_ms, ?2)"
		" WHERE id = ?1",
	[SQ_CUST_UPDATE] = "UPDATE customer_sessions SET name = coalesce(?2, name),"
		" language = coalesce(?3, language), topic = coalesce(?4, topic) WHERE id = ?1",
	[SQ_CHAT_INSERT] = "INSERT INTO chat_messages (session_id, sender_role, sender_name, text,"
		" time_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQ_CHAT_LIST] = "SELECT id, session_id, sender_role, sender_name, text, time_ms"
		" FROM chat_messages WHERE session_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[SQ_CONTACT_INSERT] = "INSERT INTO contacts (session_id, topic, language, queued_ms,"
		" offered_ms, answered_ms, ended_ms, agent_id, outcome, notes, survey_rating,"
		" survey_comment) VALUES (?1, coalesce(?2, ''), coalesce(?3, ''), ?4, ?5, ?6, ?7,"
		" ?8, ?9, ?10, ?11, ?12)",
	/* NULL parameters leave the column as it is */
	[SQ_CONTACT_UPDATE] = "UPDATE contacts SET topic = coalesce(?2, topic),"
		" language = coalesce(?3, language), offered_ms = coalesce(?5, offered_ms),"
		" answered_ms = coalesce(?6, answered_ms), ended_ms = coalesce(?7, ended_ms),"
		" agent_id = coalesce(?8, agent_id), outcome = coalesce(?9, outcome),"
		" notes = coalesce(?10, notes), survey_rating = coalesce(?11, survey_rating),"
		" survey_comment = coalesce(?12, survey_comment) WHERE id = ?1",
	[SQ_CONTACT_BY_ID] = SQ_CONTACT_COLS " WHERE c.id = ?1",
	[SQ_CONTACT_LIST] = SQ_CONTACT_COLS " WHERE c.session_id = ?1 AND c.id < ?2"
		" ORDER BY c.id DESC LIMIT ?3",
	[SQ_CONTACT_CLOSE_OPEN] = "UPDATE contacts SET ended_ms = ?1, outcome = ?2"
		" WHERE ended_ms IS NULL",
	[SQ_CONTACT_HANDLED] = SQ_CONTACT_COLS " WHERE c.answered_ms IS NOT NULL"
		" AND c.ended_ms IS NOT NULL AND coalesce(c.outcome, '') != 'interrupted'"
		" ORDER BY c.id DESC LIMIT ?1",
	[SQ_OFFER_INSERT] = "INSERT INTO contact_offers (contact_id, agent_id, offered_ms)"
		" VALUES (?1, ?2, ?3)",
	[SQ_OFFER_FIRST] = "UPDATE contacts SET offered_ms = ?2 WHERE id = ?1"
		" AND offered_ms IS NULL",
	[SQ_OFFER_RESULT] = "UPDATE contact_offers SET result = ?2, resolved_ms = ?3"
		" WHERE id = ?1 AND result IS NULL",
	[SQ_OFFER_LIST] = "SELECT id, contact_id, agent_id, offered_ms, result, resolved_ms"
		" FROM contact_offers WHERE contact_id = ?1 ORDER BY id",
	[SQ_LEG_INSERT] = "INSERT INTO interpreter_legs (contact_id, interpreter_id, languages,"
		" joined_ms, modes) VALUES (?1, ?2, ?3, ?4,"
		" json_array(json_object('at', ?4, 'mode', ?5)))",
	[SQ_LEG_MODE] = "UPDATE interpreter_legs SET modes = json_insert(modes, '$[#]',"
		" json_object('at', ?2, 'mode', ?3)) WHERE id = ?1",
	[SQ_LEG_LEAVE] = "UPDATE interpreter_legs SET left_ms = ?2 WHERE id = ?1",
	[SQ_LEG_LIST] = "SELECT l.id, l.contact_id, l.interpreter_id, l.languages, l.joined_ms,"
		" l.left_ms, l.modes, a.username FROM interpreter_legs l"
		" LEFT JOIN accounts a ON a.id = l.interpreter_id WHERE l.contact_id = ?1"
		" ORDER BY l.id",
	[SQ_AUDIT_INSERT] = "INSERT INTO audit_log (time_ms, actor, action, detail)"
		" VALUES (?1, ?2, ?3, ?4)",
	[SQ_AUDIT_LIST] = "SELECT id, time_ms, actor, action, detail FROM audit_log"
		" WHERE id > ?1 ORDER BY id LIMIT ?2",
};

#endif
