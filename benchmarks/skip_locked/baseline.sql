-- The baseline omniroute's routing is compared with: what teams build when
-- they do not use a router. Waiting tasks are rows of a PostgreSQL table;
-- an agent with spare capacity claims the first task it may take, in
-- priority order then oldest first, with SELECT ... FOR UPDATE SKIP LOCKED
-- so that agents claiming at the same time never wait on each other's rows
-- (the pattern of job queues on PostgreSQL and of open-source help desks).
--
-- The same rules as omniroute's matcher (lib/routing/matcher.h), where SQL
-- can express them:
--   - skills with levels: an agent's skill s at level L is stored as the
--     integers s*16+1 .. s*16+L, a queue's requirement (s, l) as s*16+l, so
--     "has every required skill at its level or above" is array containment
--     (required <@ skills);
--   - the agent serves the task's channel, and its spare capacity
--     (capacity - load) covers the channel's cost (costs[channel]);
--   - an agent on a call (a voice task) takes nothing else;
--   - order: priority descending, then arrival, then id.
-- Not expressed: a task's preferred agent and its excluded agents (the
-- pattern has neither; the workloads that compare the two have none), and
-- the agent-selection strategies (here the agent pulls; it picks the task).
--
-- benchmarks/skip_locked/skip_locked_queue.cc reads this file: each section
-- starts with a "-- name: X" line and is prepared (schema: run) as is.
-- tests/benchmarks/skip_locked_order_test.cc checks that it assigns the
-- tasks in the order omniroute's matcher does.

-- name: schema
SET client_min_messages TO warning;
DROP TABLE IF EXISTS tasks, agents, queues;
CREATE TABLE queues (
  id bigint PRIMARY KEY,
  -- skill * 16 + level, one per required skill.
  required integer[] NOT NULL
);
CREATE TABLE agents (
  id bigint PRIMARY KEY,
  -- skill * 16 + level for every level from 1 to the agent's.
  skills integer[] NOT NULL,
  channels smallint[] NOT NULL,
  -- Capacity units of a task of each channel: costs[c] for channel c (the
  -- values of omniroute.v1.Channel, from 1).
  costs integer[] NOT NULL,
  capacity integer NOT NULL,
  load integer NOT NULL DEFAULT 0,
  on_call boolean NOT NULL DEFAULT false
);
CREATE TABLE tasks (
  id bigint PRIMARY KEY,
  queue bigint NOT NULL REFERENCES queues,
  channel smallint NOT NULL,
  priority bigint NOT NULL,
  arrival bigint NOT NULL,
  -- The queue's required skills, copied when the task is created, so that a
  -- claim reads one table.
  required integer[] NOT NULL,
  -- The agent who claimed it; NULL while it waits.
  agent bigint
);
-- The waiting tasks in claim order: a claim walks it from the start and
-- stops at the first row it may take.
CREATE INDEX tasks_waiting ON tasks (priority DESC, arrival, id) WHERE agent IS NULL;

-- name: add_queue
-- $1 id, $2 required skills.
INSERT INTO queues (id, required) VALUES ($1, $2);

-- name: add_agent
-- $1 id, $2 skills, $3 channels, $4 costs, $5 capacity, $6 load.
INSERT INTO agents (id, skills, channels, costs, capacity, load) VALUES ($1, $2, $3, $4, $5, $6);

-- name: enqueue
-- $1 id, $2 queue, $3 channel, $4 priority, $5 arrival.
INSERT INTO tasks (id, queue, channel, priority, arrival, required)
SELECT $1::bigint, q.id, $3::smallint, $4::bigint, $5::bigint, q.required
FROM queues q WHERE q.id = $2::bigint;

-- name: claim
-- $1 the agent. Locks the agent's row (one claim per agent at a time), takes
-- the first waiting task it may take that no other transaction holds,
-- assigns it and adds its cost to the agent's load, in one statement (its
-- own transaction): the task's id, channel, queue and priority. No row:
-- nothing the agent may take.
WITH me AS (
  SELECT skills, channels, costs, capacity - load AS spare, on_call
  FROM agents WHERE id = $1 FOR UPDATE
), picked AS (
  SELECT t.id, t.channel
  FROM me, tasks t
  WHERE t.agent IS NULL
    AND NOT me.on_call
    AND t.channel = ANY (me.channels)
    AND me.costs[t.channel] <= me.spare
    AND t.required <@ me.skills
  ORDER BY t.priority DESC, t.arrival, t.id
  LIMIT 1
  FOR UPDATE OF t SKIP LOCKED
), assigned AS (
  UPDATE tasks t SET agent = $1 FROM picked WHERE t.id = picked.id
  RETURNING t.id, t.channel, t.queue, t.priority
)
UPDATE agents a
SET load = a.load + a.costs[assigned.channel], on_call = a.on_call OR assigned.channel = 4
FROM assigned
WHERE a.id = $1
RETURNING assigned.id, assigned.channel, assigned.queue, assigned.priority;

-- name: complete
-- $1 the agent, $2 its task: the task ends (its row goes) and its cost comes
-- off the agent's load. No row: the agent does not hold that task.
WITH done AS (
  DELETE FROM tasks WHERE id = $2 AND agent = $1 RETURNING channel
)
UPDATE agents a
SET load = a.load - a.costs[done.channel], on_call = a.on_call AND done.channel <> 4
FROM done
WHERE a.id = $1
RETURNING a.load;
