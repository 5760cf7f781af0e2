package broker

// URLEnv is the environment variable `runas connect` reads the broker's URL
// from when --broker-url is not given; the deployment's next steps tell
// people to set it.
const URLEnv = "SSM_RUNAS_BROKER_URL"
