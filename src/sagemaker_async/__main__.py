from sagemaker_async.cli.tree import main

main()
