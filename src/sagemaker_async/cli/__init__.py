"""The command line: the click tree, the AWS CLI's parsing rules, help and shell completion."""
