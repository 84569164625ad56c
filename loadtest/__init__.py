"""Load without loss: concurrent clients against `promptlab serve`, checked in the database."""
