-- Objections to statutory uses are kept by the exchange, which enforces them (exchange.objections).
DROP TABLE consent.objections;
