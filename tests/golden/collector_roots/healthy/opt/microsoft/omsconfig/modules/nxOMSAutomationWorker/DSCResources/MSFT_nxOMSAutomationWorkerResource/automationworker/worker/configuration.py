# configuration module (fixture)
