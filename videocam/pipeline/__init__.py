"""The loops that tie reader, model, stages and writers together: one file (`process`), live."""
