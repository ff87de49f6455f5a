"""The territory plan's evaluations: accounts, territories, reps, goals, review, balance."""
