"""Training for review-scorer: prepare data, train fastText locally, package BlazingText artifacts."""
