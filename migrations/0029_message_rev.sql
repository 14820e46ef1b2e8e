-- A message's rev counts its changes (store/tx.go, UpdateMessage): a page
-- that holds two copies of a bubble, one from the websocket and one from
-- the answer to its own request, keeps the newer.
ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
