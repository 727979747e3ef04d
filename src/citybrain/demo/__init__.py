"""The Zhengzhou demo city: real divisions, departments and names, synthetic people."""
