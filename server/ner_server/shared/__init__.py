"""What the front and the model processes both use, importing neither: the typed messages between
them and their wire format, the errors, the model's description, how the workers run, logging."""
